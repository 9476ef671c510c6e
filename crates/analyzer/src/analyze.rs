//! Pass 2: find and classify the manual blocks of one parsed file.

use ruff_python_ast::ModModule;
use ruff_python_parser::Parsed;
use ruff_text_size::TextRange;

use crate::finding::{Kind, Safety};
use crate::index::ProjectIndex;
use crate::rewrite::Rewrite;
use crate::source::SourceFile;

/// One manual block or report-only shape, classified.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: Kind,
    pub safety: Safety,
    /// One line: why this class.
    pub reason: String,
    /// The statement the finding is about (creation, `with`, commit...).
    pub range: TextRange,
    /// 1-based line and column of `range.start()`.
    pub line: usize,
    pub column: usize,
    /// Present for `Safe` and `Review`; `None` for `Manual`.
    pub rewrite: Option<Rewrite>,
}

/// All findings of a file, in source order.
pub fn analyze(file: &SourceFile, parsed: &Parsed<ModModule>, index: &ProjectIndex) -> Vec<Finding> {
    let _ = (file, parsed, index);
    todo!("pass 2")
}
