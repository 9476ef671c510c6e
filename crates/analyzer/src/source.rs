//! Python source: parsing a `SourceFile` (core's, re-exported here) and Python's skip
//! markers.

use ruff_source_file::LineIndex;

pub use codemod_core::source::{
    read_regular, set_max_file_size, skip_reason_in, InputError, SourceFile, DEFAULT_MAX_FILE_SIZE,
};

/// Parse as a module; a syntax error becomes an `InputError::Syntax` with line and column.
pub fn parse(
    file: &SourceFile,
) -> Result<ruff_python_parser::Parsed<ruff_python_ast::ModModule>, InputError> {
    parse_text(&file.text)
}

pub fn parse_text(
    text: &str,
) -> Result<ruff_python_parser::Parsed<ruff_python_ast::ModModule>, InputError> {
    let limit = crate::nesting::MAX_NESTING;
    if let Some(line) = crate::nesting::too_deep(text, limit) {
        return Err(InputError::TooDeep { line, limit });
    }
    ruff_python_parser::parse_module(text).map_err(|e| {
        let index = LineIndex::from_source_text(text);
        let lc = index.line_column(e.location.start(), text);
        InputError::Syntax {
            line: lc.line.get(),
            column: lc.column.get(),
            message: e.error.to_string(),
        }
    })
}

/// Why a Python file is left alone on purpose, if it is.
pub fn skip_reason(text: &str) -> Option<&'static str> {
    skip_reason_in(text, "#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = parse_text("x = 1\ndef f(:\n").unwrap_err();
        assert!(matches!(err, InputError::Syntax { line: 2, .. }), "{err:?}");
    }
}
