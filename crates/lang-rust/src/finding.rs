//! What the analysis reports: kinds, safety classes, findings and their text edits.

use std::ops::Range;

pub use codemod_core::{Kind, Safety};

/// The kinds this front-end reports, in code order.
pub const KINDS: [Kind; 5] = [
    Kind::ManualTransaction,
    Kind::RedundantRollback,
    Kind::RawSqlTransaction,
    Kind::UncommittedTransaction,
    Kind::DoubleManagement,
];

/// Replace the bytes `range` of the original text with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl TextEdit {
    pub fn delete(range: Range<usize>) -> Self {
        TextEdit {
            range,
            replacement: String::new(),
        }
    }
}

/// One syntax error reported by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset where the error starts.
    pub offset: usize,
    pub message: String,
}

/// One hand-managed transaction shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// Byte offsets of the block or statement the finding is about.
    pub range: Range<usize>,
    /// 1-based line of `range.start`.
    pub line: usize,
    pub safety: Safety,
    /// One line: what the edits change, or why nothing is rewritten.
    pub reason: String,
    /// Sorted, non-overlapping edits on the original text; empty for `Safety::Manual`.
    pub edits: Vec<TextEdit>,
    /// True when the caller said the whole file is test code, or when the finding sits in a
    /// `#[cfg(test)]` module or a `#[test]`-like function.
    pub in_test: bool,
}

/// The result of analysing one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Sorted by `range.start`.
    pub findings: Vec<Finding>,
    /// Non-empty means the file did not parse: then no finding has edits.
    pub parse_errors: Vec<ParseError>,
}

impl Analysis {
    /// Every edit of every finding, sorted by position.
    pub fn all_edits(&self) -> Vec<TextEdit> {
        let mut edits: Vec<TextEdit> = self
            .findings
            .iter()
            .flat_map(|f| f.edits.iter().cloned())
            .collect();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        edits
    }
}
