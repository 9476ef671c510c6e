//! What `audit` and `report` share: the same run `plan` makes (config, walk, both passes
//! through `pipeline`), with each finding's block described by its front-end from the
//! parse the plan was made from.
//! The findings are exactly `plan`'s blocks; only its follow-ups (rewrites of the plan's own
//! output) are left out.

use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;
use rayon::prelude::*;
use rewriter::{PlannedFinding, Selection};

use crate::classify::FileClass;
use crate::commands::{check_exist, load_config, UsageError};
use crate::pipeline::{self, Options};
use crate::report::{Counts, ErrorKind, FileError, Skipped};
use crate::walk;
use codemod_core::BlockInfo;

/// One finding and its block.
#[derive(Debug, Clone)]
pub struct Item {
    pub finding: PlannedFinding,
    pub block: BlockInfo,
}

/// A file with findings.
#[derive(Debug)]
pub struct File {
    /// As shown to the user (relative to the current folder when below it).
    pub display: String,
    /// The same path's bytes, exactly (`display` escapes what is not printable UTF-8).
    pub display_bytes: Vec<u8>,
    /// Relative to the project root, `/` separated (absolute when outside it).
    pub rel: String,
    pub class: FileClass,
    /// The plan's unified diff, when the file changes.
    pub diff: Option<String>,
    pub items: Vec<Item>,
}

/// The run.
#[derive(Debug)]
pub struct Collected {
    pub config: LoadedConfig,
    pub root: PathBuf,
    pub files: Vec<File>,
    pub errors: Vec<FileError>,
    /// Files of the run's own (not of the project index around them) that could not be
    /// parsed: they mention sessions, so they may hide findings.
    pub unparsed_targets: usize,
    pub skipped: Vec<Skipped>,
    pub counts: Counts,
    pub notes: Vec<String>,
}

impl Collected {
    pub fn has_internal_error(&self) -> bool {
        self.errors.iter().any(|e| e.kind == ErrorKind::Internal)
    }
}

/// Run `plan`'s pipeline over `paths` and describe every finding's block.
pub fn collect(
    paths: &[PathBuf],
    config_path: Option<&Path>,
    selection: Selection,
) -> Result<Collected, UsageError> {
    check_exist(paths)?;
    let config = load_config(config_path, &paths[0])?;
    let root = walk::project_root(&paths[0], &config);
    let walked = walk::collect(paths, &config);
    let options = Options {
        selection,
        keep_plans: false,
        describe_blocks: true,
    };
    let run = pipeline::run(config.clone(), paths, &walked.files, walked.errors, options)?;
    let mut report = run.report;
    let unparsed_targets = report
        .errors
        .iter()
        .filter(|e| matches!(e.kind, ErrorKind::Syntax | ErrorKind::Encoding))
        .count();
    report
        .errors
        .extend(run.index_errors.into_iter().map(|mut e| {
            if e.kind != ErrorKind::Internal {
                e.message
                    .push_str(" (not indexed: its definitions are unknown to the run)");
            }
            e
        }));

    let described: Vec<(File, Option<FileError>)> = report
        .files
        .into_par_iter()
        .map(|mut f| {
            // Follow-ups describe the plan's output, not the code as it is.
            f.findings.retain(|p| p.follows.is_none());
            let rel = relative(&root, &f.path, &f.display);
            let class = engine::file_class(&f.path, Path::new(&rel));
            // The planner described the blocks from the text it planned.
            let blocks = f
                .blocks
                .take()
                .unwrap_or_else(|| Err("not described".to_string()));
            let (infos, error) = match blocks {
                Ok(infos) if infos.len() == f.findings.len() => (infos, None),
                Ok(_) => (
                    f.findings.iter().map(fallback).collect(),
                    Some(not_described(
                        &f.display,
                        "a block per finding expected".into(),
                    )),
                ),
                Err(message) => (
                    f.findings.iter().map(fallback).collect(),
                    Some(not_described(&f.display, message)),
                ),
            };
            let items = f
                .findings
                .into_iter()
                .zip(infos)
                .map(|(finding, block)| Item { finding, block })
                .collect();
            (
                File {
                    display: f.display,
                    display_bytes: walk::display_bytes(&f.path),
                    rel,
                    class,
                    diff: f.diff,
                    items,
                },
                error,
            )
        })
        .collect();
    let mut files = Vec::with_capacity(described.len());
    for (file, error) in described {
        files.push(file);
        report.errors.extend(error);
    }
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Collected {
        config,
        root,
        files,
        errors: report.errors,
        unparsed_targets,
        skipped: report.skipped,
        counts: report.counts,
        notes: report.notes,
    })
}

/// `path` relative to `root`, `/` separated; `display` when it lies outside.
fn relative(root: &Path, path: &Path, display: &str) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => display.to_string(),
    }
}

fn not_described(display: &str, message: String) -> FileError {
    FileError {
        path: display.to_string(),
        line: None,
        kind: ErrorKind::Io,
        message: format!("blocks not described: {message}"),
    }
}

/// When a block cannot be described: the finding alone, its line as its block.
fn fallback(f: &PlannedFinding) -> BlockInfo {
    BlockInfo {
        scope: "<unknown>".to_string(),
        class: None,
        session: None,
        start_line: f.line,
        end_line: f.line,
        session_lines: 1,
        shape: f.kind.to_string(),
        details: Default::default(),
        header: format!("line {}", f.line),
        text: String::new(),
        suppressed: None,
    }
}
