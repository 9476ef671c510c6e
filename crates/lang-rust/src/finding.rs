//! What the analysis reports: kinds, safety classes, findings and their text edits.

use std::ops::Range;

/// The shapes of hand-managed transactions in Rust code. `as_str` names and `code`s are a
/// stable contract (JSON output, audit codes, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Begin, commit on success and an explicit rollback on the error path.
    ManualTransaction,
    /// A rollback right before the transaction goes out of scope on an error exit.
    RedundantRollback,
    /// `BEGIN` / `COMMIT` / `ROLLBACK` sent as SQL text by hand (report only).
    RawSqlTransaction,
    /// A transaction dropped without commit on a path that returns `Ok` (report only).
    UncommittedTransaction,
    /// Commit / rollback inside a closure API that manages it, or a nested begin (report only).
    DoubleManagement,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::ManualTransaction,
        Kind::RedundantRollback,
        Kind::RawSqlTransaction,
        Kind::UncommittedTransaction,
        Kind::DoubleManagement,
    ];

    /// Stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ManualTransaction => "manual-transaction",
            Kind::RedundantRollback => "redundant-rollback",
            Kind::RawSqlTransaction => "raw-sql-transaction",
            Kind::UncommittedTransaction => "uncommitted-transaction",
            Kind::DoubleManagement => "double-management",
        }
    }

    /// Stable audit code, `RS001` ..= `RS005`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::ManualTransaction => "RS001",
            Kind::RedundantRollback => "RS002",
            Kind::RawSqlTransaction => "RS003",
            Kind::UncommittedTransaction => "RS004",
            Kind::DoubleManagement => "RS005",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a planned rewrite can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Safety {
    /// Success and error paths provably do what they did before.
    Safe,
    /// Rewritten, but behaviour changes in the way the reason names.
    Review,
    /// Not rewritten; the reason says why. Such a finding has no edits.
    Manual,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Review => "review",
            Safety::Manual => "manual",
        }
    }
}

impl std::fmt::Display for Safety {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
