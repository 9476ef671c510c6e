//! `ledger.toml`: every file of the migration, its state and the hashes that tell a later
//! run whether the plan still holds.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{io_err, Error, Target};

/// Where a file is in the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Planned; its snapshot is not written yet.
    Planned,
    /// Its patch waits in `<name>.snap.new` for a person to accept or reject it.
    PendingReview,
    /// Accepted (`<name>.snap`): the next run applies it.
    Accepted,
    /// Being written, checked or committed: recorded before the write, so a run killed
    /// from then on leaves a ledger that says so; the next run finishes the file.
    Written,
    /// Written, and the check (if any) passed.
    Applied,
    /// Written, the check failed, the file was restored byte for byte.
    Failed,
    /// Not migrated; `reason` says why (rejected in review, nothing to rewrite...).
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Planned => "planned",
            State::PendingReview => "pending review",
            State::Accepted => "accepted",
            State::Written => "written, not finished",
            State::Applied => "applied",
            State::Failed => "failed",
            State::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding of the file's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FindingRecord {
    pub line: usize,
    pub kind: String,
    /// `safe`, `review` or `manual`.
    pub class: String,
    /// Part of the patch.
    pub rewritten: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Entry {
    pub state: State,
    /// SHA-256 of the file the patch was planned from.
    pub planned_sha256: String,
    /// SHA-256 of the patch (the unified diff) in the snapshot; empty when nothing rewrites.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub patch_sha256: String,
    /// SHA-256 of the file as written by the migration.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub applied_sha256: String,
    /// Snapshot file name without `.snap`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub snapshot: String,
    /// Why skipped or failed; for pending review, what changed since the last plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The tail of the failing check's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Order in which files were applied (1 = first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_order: Option<u32>,
    /// The commit made for this file (`--commit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The check the file was written under, while it is `written`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The run that wrote it commits it (`--commit`), while it is `written`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub commit_wanted: bool,
    /// The tool that made the plan.
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
}

impl Entry {
    pub fn rewrites(&self) -> usize {
        self.findings.iter().filter(|f| f.rewritten).count()
    }

    pub fn rewrites_of(&self, class: &str) -> usize {
        self.findings
            .iter()
            .filter(|f| f.rewritten && f.class == class)
            .count()
    }

    /// Findings still in the code: everything unless applied, then what the patch left.
    pub fn left(&self) -> impl Iterator<Item = &FindingRecord> {
        let applied = self.state == State::Applied;
        self.findings
            .iter()
            .filter(move |f| !(applied && f.rewritten))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Ledger {
    pub version: u32,
    /// `applied-order` of the next applied file.
    pub next_order: u32,
    /// Keyed by path relative to the tree, `/`-separated.
    #[serde(default)]
    pub files: BTreeMap<String, Entry>,
}

impl Default for Ledger {
    fn default() -> Ledger {
        Ledger {
            version: 1,
            next_order: 1,
            files: BTreeMap::new(),
        }
    }
}

impl Ledger {
    /// The ledger of `target`, empty when there is none yet.
    pub fn load(target: &Target) -> Result<Ledger, Error> {
        let path = target.ledger_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                Error::Usage(format!(
                    "{}: not a migration ledger ({e}); move it away to start over",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::default()),
            Err(e) => Err(io_err(path.display(), e)),
        }
    }

    /// Write atomically (temp file + rename), so an interrupted run leaves the last state.
    pub fn save(&self, target: &Target) -> Result<(), Error> {
        let text = toml::to_string_pretty(self).map_err(|e| io_err("ledger", e))?;
        let text = format!(
            "# codemod migration ledger: one table per file. Written by `codemod migrate`;\n\
             # `codemod migrate status` summarises it.\n\n{text}"
        );
        write_file_atomic(&target.ledger_path(), text.as_bytes())
    }
}

/// Create parent folders, write a temp file next to `path`, rename it over `path`.
pub(crate) fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir.display(), e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".codemod-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io_err(dir.display(), e))?;
    tmp.write_all(bytes)
        .map_err(|e| io_err(path.display(), e))?;
    tmp.persist(path)
        .map_err(|e| io_err(path.display(), e.error))?;
    Ok(())
}
