//! Plan the whole tree: walk it (ignore files, config `exclude`), index every file, plan
//! each one. Only files with findings (or that could not be planned) are returned.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use analyzer::{FileFacts, LoadedConfig, ProjectIndex, SourceFile};
use rayon::prelude::*;
use rewriter::Selection;

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

/// Every Python and Rust file below the tree, sorted, except the migration folder.
fn walk(target: &Target, config: &LoadedConfig) -> Vec<PathBuf> {
    let filter = config.clone();
    let state = std::fs::canonicalize(&target.state).unwrap_or_else(|_| target.state.clone());
    let walker = ignore::WalkBuilder::new(&target.dir)
        .standard_filters(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| {
            e.depth() == 0 || (!filter.is_excluded(e.path()) && !e.path().starts_with(&state))
        })
        .build();
    let mut files: Vec<PathBuf> = walker
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| rewriter::frontend::is_source(p))
        .collect();
    files.sort();
    files
}

fn facts_of(path: &Path) -> Option<FileFacts> {
    // The project index holds Python definitions only.
    if rewriter::frontend::language_of(path) != codemod_core::Language::Python {
        return None;
    }
    let file = SourceFile::read(path).ok()?;
    if !analyzer::may_define_facts(&file.text) {
        return None;
    }
    let parsed = analyzer::parse(&file).ok()?;
    Some(analyzer::collect_facts(
        &file,
        &parsed,
        analyzer::module_name(path),
    ))
}

/// Plan every file of the tree against the tree's own index.
pub fn plan_tree(target: &Target, selection: Selection) -> Result<Vec<Planning>, Error> {
    let config = LoadedConfig::discover(&target.dir).map_err(|e| Error::Usage(e.to_string()))?;
    analyzer::source::set_max_file_size(config.max_file_size());
    let files = walk(target, &config);
    let facts: Vec<FileFacts> = files
        .par_iter()
        .filter_map(|p| catch_unwind(|| facts_of(p)).ok().flatten())
        .collect();
    let index = ProjectIndex::build(config, facts);
    if let Some(e) = index.config_guard_error() {
        return Err(Error::Usage(e.to_string()));
    }
    let mut out: Vec<Planning> = files
        .par_iter()
        .filter_map(|p| {
            let rel = target.rel(p)?;
            match catch_unwind(AssertUnwindSafe(|| plan_one(&index, p, &rel, selection))) {
                Ok(planning) => planning,
                Err(_) => Some(Planning::Unplannable {
                    rel,
                    reason: "internal error while planning (please report it)".to_string(),
                }),
            }
        })
        .collect();
    out.sort_by(|a, b| a.rel().cmp(b.rel()));
    Ok(out)
}

fn plan_one(
    index: &ProjectIndex,
    path: &Path,
    rel: &str,
    selection: Selection,
) -> Option<Planning> {
    let unplannable = |reason: String| {
        Some(Planning::Unplannable {
            rel: rel.to_string(),
            reason,
        })
    };
    let file = match SourceFile::read(path) {
        Ok(f) => f,
        Err(e) => return unplannable(e.to_string()),
    };
    if rewriter::frontend::skip_reason(&file).is_some()
        || !rewriter::frontend::may_contain_blocks(&file, index)
    {
        return None;
    }
    let original = file.original_bytes();
    let plan = match rewriter::plan_source(file, index, selection, |_| true) {
        Ok(plan) => plan,
        Err(e) => return unplannable(e.to_string()),
    };
    if plan.findings.is_empty() {
        return None;
    }
    let diff = plan.unified_diff(rel);
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
    Some(Planning::Planned(Planned {
        rel: rel.to_string(),
        path: path.to_path_buf(),
        sha256: crate::sha256_hex(&original),
        original,
        new_bytes,
        diff,
        findings,
    }))
}
