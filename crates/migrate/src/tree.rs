//! Plan the whole tree: walk it (ignore files, config `exclude`), index every file, plan
//! each one. Only files with findings (or that could not be planned) are returned.

use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;
use engine::{Outcome, Project};
use rewriter::{FilePlan, Selection};

use crate::ledger::FindingRecord;
use crate::{Error, Target};

/// One file as planned now.
#[derive(Debug, Clone)]
pub struct Planned {
    pub rel: String,
    pub path: PathBuf,
    /// The bytes the plan was made from.
    pub original: Vec<u8>,
    pub sha256: String,
    /// The bytes to write (equal to `original` when nothing rewrites).
    pub new_bytes: Vec<u8>,
    /// Unified diff, empty when nothing rewrites.
    pub diff: String,
    pub findings: Vec<FindingRecord>,
}

/// A file that has findings, or could not be planned.
#[derive(Debug, Clone)]
pub enum Planning {
    Planned(Planned),
    Unplannable { rel: String, reason: String },
}

impl Planning {
    pub fn rel(&self) -> &str {
        match self {
            Planning::Planned(p) => &p.rel,
            Planning::Unplannable { rel, .. } => rel,
        }
    }
}

/// Every source file below the tree, sorted, except the migration folder.
fn walk(target: &Target, config: &LoadedConfig) -> Vec<PathBuf> {
    let state = std::fs::canonicalize(&target.state).unwrap_or_else(|_| target.state.clone());
    let options = engine::walk::WalkOptions {
        file_links: false,
        skip: Some(state),
    };
    let mut files = engine::walk::source_files(&target.dir, config, &options).files;
    files.sort();
    files
}

/// Plan every file of the tree against the tree's own index.
pub fn plan_tree(target: &Target, selection: Selection) -> Result<Vec<Planning>, Error> {
    let config = LoadedConfig::discover(&target.dir).map_err(|e| Error::Usage(e.to_string()))?;
    analyzer::source::set_max_file_size(config.max_file_size());
    let files = walk(target, &config);
    let root = std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
    // Files pass 1 cannot read have no facts; pass 2 reports them.
    let project = Project::index(&root, config, &files, None).project;
    if let Some(e) = project.python().config_guard_error() {
        return Err(Error::Usage(e.to_string()));
    }
    let rels: Vec<(String, &Path)> = files
        .iter()
        .filter_map(|p| Some((target.rel(p)?, p.as_path())))
        .collect();
    let paths: Vec<&Path> = rels.iter().map(|(_, p)| *p).collect();
    let outcomes = project.plan_paths(&paths, selection, false, None);
    let mut out: Vec<Planning> = rels
        .into_iter()
        .zip(outcomes)
        .filter_map(|((rel, path), outcome)| planning(rel, path, outcome))
        .collect();
    out.sort_by(|a, b| a.rel().cmp(b.rel()));
    Ok(out)
}

/// What the migration keeps of one file's outcome: files with findings, and files that
/// could not be planned.
fn planning(rel: String, path: &Path, outcome: Outcome) -> Option<Planning> {
    let unplannable = |reason: String| {
        Some(Planning::Unplannable {
            rel: rel.clone(),
            reason,
        })
    };
    match outcome {
        Outcome::Unreadable(e) => unplannable(e.to_string()),
        Outcome::Skipped(_) | Outcome::NoBlocks => None,
        Outcome::Panicked(_) => {
            unplannable("internal error while planning (please report it)".to_string())
        }
        Outcome::Planned(Err(e)) => unplannable(e.to_string()),
        Outcome::Planned(Ok(plan)) if plan.findings.is_empty() => None,
        Outcome::Planned(Ok(plan)) => Some(Planning::Planned(planned(rel, path, &plan))),
    }
}

fn planned(rel: String, path: &Path, plan: &FilePlan) -> Planned {
    let original = plan.file.original_bytes();
    let diff = plan.unified_diff(&rel);
    let new_bytes = if plan.is_changed() {
        plan.new_bytes()
    } else {
        original.clone()
    };
    let findings = plan
        .findings
        .iter()
        .map(|f| FindingRecord {
            line: f.line,
            kind: f.kind.as_str().to_string(),
            class: f.safety.to_string(),
            rewritten: f.applied,
            reason: f.reason.clone(),
        })
        .collect();
    Planned {
        rel,
        path: path.to_path_buf(),
        sha256: crate::sha256_hex(&original),
        original,
        new_bytes,
        diff,
        findings,
    }
}
