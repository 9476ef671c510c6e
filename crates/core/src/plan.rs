//! A file's plan, whatever its language: the findings as planned (class, reason, whether
//! the rewrite is applied), the rewritten text, and how it renders as a diff.

use ruff_text_size::TextRange;
use serde::Serialize;

use crate::{BlockInfo, InputError, Kind, Safety, SourceFile};

/// Which rewrites to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    SafeOnly,
    SafeAndReview,
}

impl Selection {
    /// Whether a rewrite of this class is applied.
    pub fn takes(self, safety: Safety) -> bool {
        match safety {
            Safety::Safe => true,
            Safety::Review => self == Selection::SafeAndReview,
            Safety::Manual => false,
        }
    }
}

/// A finding as planned: the class, the reason and whether its rewrite is in the new text.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFinding {
    pub line: usize,
    pub column: usize,
    pub kind: Kind,
    pub safety: Safety,
    pub reason: String,
    /// The rewrite is part of `FilePlan::rewritten`.
    pub applied: bool,
    /// A follow-up: found only once the rewrite of this line (an earlier finding of the
    /// plan) had been applied. Not a block of the original text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<usize>,
    /// The finding is in test code by its own position (a Rust `#[cfg(test)]` module or
    /// `#[test]` function), whatever its file's class.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test_code: bool,
    /// The statement the finding is about, as offsets into the original text (no BOM).
    #[serde(skip)]
    pub range: TextRange,
    /// What the rewrite's edits cover in the original text, when the front-end knows it
    /// more closely than `range` (none for follow-ups and findings without a rewrite).
    #[serde(skip)]
    pub edits_span: Option<TextRange>,
}

/// The plan of one file: findings and the rewritten text.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub file: SourceFile,
    pub findings: Vec<PlannedFinding>,
    /// The new text (no BOM; `file.to_bytes` restores it). Equal to `file.text` when nothing
    /// is applied.
    pub rewritten: String,
    /// Calls named like session factories left out: they are no SQLAlchemy sessions.
    pub not_database: Vec<NotDatabase>,
    /// The blocks of the original text's findings (`findings` without follow-ups, in
    /// order), when the planner was asked to describe them.
    pub blocks: Option<Result<Vec<BlockInfo>, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Input(#[from] InputError),
    /// Our own output does not parse or compile: a bug in the tool, never written.
    /// `message` completes "the rewrite of line N ...".
    #[error("internal error, please report: the rewrite of line {line} {message}")]
    Internal { line: usize, message: String },
}

impl FilePlan {
    pub fn is_changed(&self) -> bool {
        self.rewritten != self.file.text
    }

    /// Unified diff with `a/<path>` and `b/<path>` headers (`git apply`-able).
    pub fn unified_diff(&self, display_path: &str) -> String {
        if !self.is_changed() {
            return String::new();
        }
        // With the BOM on both sides, a patch of a file's first line applies byte for byte.
        let bom = if self.file.bom { "\u{feff}" } else { "" };
        let old = format!("{bom}{}", self.file.text);
        let new = format!("{bom}{}", self.rewritten);
        crate::diff::unified(
            &old,
            &new,
            &format!("a/{display_path}"),
            &format!("b/{display_path}"),
        )
    }

    /// The bytes to write: BOM restored.
    pub fn new_bytes(&self) -> Vec<u8> {
        self.file.to_bytes(&self.rewritten)
    }
}

/// A call named like a session factory that is not one: kept for the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotDatabase {
    pub line: usize,
    /// The callee as written (`requests.Session`).
    pub callee: String,
    /// Where it comes from: the package it resolves to (`requests`), `unresolved` (a name
    /// no import binds) or `unknown object` (an attribute of a parameter or local).
    pub origin: String,
}
