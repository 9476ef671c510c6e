//! The rewriter: lower a file's `Rewrite`s to text edits, apply them, verify the result
//! parses, render diffs, write atomically.

use std::path::{Path, PathBuf};

use analyzer::{InputError, Kind, ProjectIndex, Safety, SourceFile};
use serde::Serialize;

/// Which rewrites to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    SafeOnly,
    SafeAndReview,
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
}

/// The plan of one file: findings and the rewritten text.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub file: SourceFile,
    pub findings: Vec<PlannedFinding>,
    /// The new text (no BOM; `file.to_bytes` restores it). Equal to `file.text` when nothing
    /// is applied.
    pub rewritten: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Input(#[from] InputError),
    /// Our own output does not parse: a bug in the tool, never written.
    #[error("internal error, please report: the rewrite of line {line} does not parse ({message})")]
    Internal { line: usize, message: String },
}

impl FilePlan {
    pub fn is_changed(&self) -> bool {
        self.rewritten != self.file.text
    }

    /// Unified diff with `a/<path>` and `b/<path>` headers (`git apply`-able).
    pub fn unified_diff(&self, display_path: &str) -> String {
        let _ = display_path;
        todo!()
    }

    /// The bytes to write: BOM restored.
    pub fn new_bytes(&self) -> Vec<u8> {
        self.file.to_bytes(&self.rewritten)
    }
}

/// Parse, analyze, apply the selected rewrites, verify. `Err(Input)` for files that are not
/// valid Python; `Err(Internal)` if our output would not parse.
pub fn plan_file(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
) -> Result<FilePlan, PlanError> {
    let _ = (file, index, selection);
    todo!()
}

/// Write `new` to `path` through a temp file in the same folder plus rename, only if the
/// file still holds `expected` (refuses to clobber a file changed since it was planned).
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let _ = (path, expected, new);
    todo!()
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: changed since it was planned; nothing written (re-run plan)")]
    Changed { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}
