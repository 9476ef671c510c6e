//! The two passes, in parallel. Pass 1 reads every file of the tree and keeps only its
//! `FileFacts`; pass 2 plans the target files and keeps only files with findings (their
//! findings and rendered diff; the plan too when the caller writes).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use analyzer::LoadedConfig;
use codemod_core::Language;
use engine::{IndexFailure, Outcome, Project};
use rewriter::Selection;

use crate::commands::UsageError;
use crate::report::{Counts, FileError, FileReport, RunReport, Skipped};
use crate::walk::{self, Target};

pub use engine::install_panic_hook;

// ---------------------------------------------------------------------------------------
// Pass 1

/// The project (every language's index) and the files that could not be indexed.
pub struct Indexed {
    pub project: Project,
    /// Absolute path and error, for files whose facts are missing.
    pub failures: Vec<(PathBuf, FileError)>,
}

/// Pass 1 over the files of `files` (absolute paths, deduplicated by the caller) whose
/// language is one of `languages`. `Err` when the config names a guard no rewrite could
/// import.
pub fn build_index(
    root: &Path,
    config: LoadedConfig,
    files: &[Target],
    languages: &[Language],
) -> Result<Indexed, UsageError> {
    let files: Vec<&Target> = files
        .iter()
        .filter(|t| languages.contains(&walk::language_of(&t.path)))
        .collect();
    let paths: Vec<PathBuf> = files.iter().map(|t| t.path.clone()).collect();
    let indexed = Project::index(root, config, &paths, Some("indexing"));
    let failures = indexed
        .failures
        .into_iter()
        .map(|(i, failure)| {
            let target = files[i];
            let error = match failure {
                IndexFailure::Input(e) => FileError::input(&target.display, &e),
                IndexFailure::Panic(panic) => {
                    FileError::internal(&target.display, format!("while indexing: {panic}"))
                }
            };
            (target.path.clone(), error)
        })
        .collect();
    if let Some(e) = indexed.project.python().config_guard_error() {
        return Err(e.into());
    }
    Ok(Indexed {
        project: indexed.project,
        failures,
    })
}

/// The files pass 1 reads: the project tree under `root` plus the targets (which may lie
/// outside it), each once. The tree is not walked again when a folder the user named
/// already holds it (`targets` then has all of its files).
pub fn index_files(
    root: &Path,
    config: &LoadedConfig,
    user_paths: &[PathBuf],
    targets: &[Target],
) -> Vec<Target> {
    let covered = user_paths
        .iter()
        .any(|p| walk::is_dir(p) && root.starts_with(walk::canonical_dir(p)));
    let walked = if covered {
        Vec::new()
    } else {
        walk::collect(&[root.to_path_buf()], config).files
    };
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut out = Vec::with_capacity(walked.len() + targets.len());
    for t in walked.into_iter().chain(targets.iter().cloned()) {
        if seen.insert(t.path.clone()) {
            out.push(t);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Pass 2

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub selection: Selection,
    /// Keep each changed file's `FilePlan` (for writing).
    pub keep_plans: bool,
    /// Describe each finding's block (`audit`, `report`).
    pub describe_blocks: bool,
}

#[derive(Default)]
struct OneFile {
    parsed: bool,
    not_database: Vec<analyzer::NotDatabase>,
    report: Option<FileReport>,
    error: Option<FileError>,
    skipped: Option<Skipped>,
}

/// What the report keeps of one file's outcome.
fn one_file(target: &Target, outcome: Outcome, options: Options) -> OneFile {
    match outcome {
        Outcome::Unreadable(e) => OneFile {
            error: Some(FileError::input(&target.display, &e)),
            ..OneFile::default()
        },
        Outcome::Skipped(reason) => OneFile {
            skipped: Some(Skipped {
                path: target.display.clone(),
                reason: reason.to_string(),
            }),
            ..OneFile::default()
        },
        Outcome::NoBlocks => OneFile::default(),
        Outcome::Panicked(panic) => OneFile {
            parsed: true,
            error: Some(FileError::internal(&target.display, panic)),
            ..OneFile::default()
        },
        Outcome::Planned(Err(e)) => OneFile {
            parsed: true,
            error: Some(FileError::plan(&target.display, &e)),
            ..OneFile::default()
        },
        Outcome::Planned(Ok(plan)) if plan.findings.is_empty() => OneFile {
            parsed: true,
            not_database: plan.not_database,
            ..OneFile::default()
        },
        Outcome::Planned(Ok(mut plan)) => {
            let not_database = std::mem::take(&mut plan.not_database);
            let blocks = plan.blocks.take();
            let diff = plan
                .is_changed()
                .then(|| plan.unified_diff(&target.display));
            let findings = plan.findings.clone();
            OneFile {
                parsed: true,
                not_database,
                report: Some(FileReport {
                    path: target.path.clone(),
                    display: target.display.clone(),
                    findings,
                    diff,
                    plan: options.keep_plans.then_some(plan),
                    blocks,
                }),
                ..OneFile::default()
            }
        }
    }
}

/// Pass 2 over `targets` (sorted by display path).
pub fn plan_files(project: &Project, targets: &[Target], options: Options) -> RunReport {
    let paths: Vec<&Path> = targets.iter().map(|t| t.path.as_path()).collect();
    let outcomes = project.plan_paths(
        &paths,
        options.selection,
        options.describe_blocks,
        Some("planning"),
    );
    let results = targets
        .iter()
        .zip(outcomes)
        .map(|(target, outcome)| one_file(target, outcome, options));
    let index = project.python();

    let languages = walk::languages(targets);
    let mut report = RunReport {
        counts: Counts::new(&languages),
        // What the project index says about guards concerns Python files only.
        notes: if languages.contains(&Language::Python) {
            index.guard_report().notes.clone()
        } else {
            Vec::new()
        },
        config: index.config().path.as_deref().map(crate::walk::display),
        ..RunReport::default()
    };
    report.counts.files_scanned = targets.len();
    for one in results {
        report.counts.files_parsed += usize::from(one.parsed);
        for n in &one.not_database {
            *report
                .counts
                .not_database_sessions
                .entry(n.origin.clone())
                .or_default() += 1;
        }
        if let Some(f) = one.report {
            report.counts.add_findings(&f.findings);
            report.counts.files_changed += usize::from(f.diff.is_some());
            report.files.push(f);
        }
        report.errors.extend(one.error);
        report.skipped.extend(one.skipped);
    }
    let left_out: Vec<(String, usize)> = report
        .counts
        .not_database_sessions
        .iter()
        .map(|(o, n)| (o.clone(), *n))
        .collect();
    report
        .notes
        .extend(analyzer::not_database_summary(&left_out));
    report
}

/// The pass-1 failures worth reporting: files that are not targets (targets report their
/// own problems in pass 2), and panics (a bug even when pass 2 went fine). Path order.
pub fn index_problems(failures: Vec<(PathBuf, FileError)>, targets: &[Target]) -> Vec<FileError> {
    let target_paths: BTreeSet<&PathBuf> = targets.iter().map(|t| &t.path).collect();
    let mut out: Vec<FileError> = failures
        .into_iter()
        .filter(|(path, err)| {
            !target_paths.contains(path) || err.kind == crate::report::ErrorKind::Internal
        })
        .map(|(_, err)| err)
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Everything `plan` and `apply` share: config, walk, both passes.
pub struct Run {
    pub report: RunReport,
    /// Problems of files outside the targets, met while indexing.
    pub index_errors: Vec<FileError>,
}

/// Run both passes: the index from the project tree (see `walk::project_root`) of the first
/// of `user_paths`, the plan over `targets` (what `user_paths` expand to).
pub fn run(
    config: LoadedConfig,
    user_paths: &[PathBuf],
    targets: &[Target],
    walk_errors: Vec<FileError>,
    options: Options,
) -> Result<Run, UsageError> {
    let root = walk::project_root(&user_paths[0], &config);
    run_from(&root, config, user_paths, targets, walk_errors, options)
}

/// `run` with the index built from the tree under `root`.
pub fn run_from(
    root: &Path,
    config: LoadedConfig,
    user_paths: &[PathBuf],
    targets: &[Target],
    walk_errors: Vec<FileError>,
    options: Options,
) -> Result<Run, UsageError> {
    // Pass 1 reads the files of the targets' languages only: a run over Rust files alone
    // reads no Python.
    let languages = walk::languages(targets);
    let index_files = index_files(root, &config, user_paths, targets);
    let indexed = build_index(root, config, &index_files, &languages)?;
    drop(index_files);
    let mut report = plan_files(&indexed.project, targets, options);
    let index_errors = index_problems(indexed.failures, targets);
    report.errors.extend(walk_errors);
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Run {
        report,
        index_errors,
    })
}

#[cfg(test)]
mod tests {
    use analyzer::skip_reason;

    #[test]
    fn skip_markers() {
        assert!(skip_reason("# @generated by protoc\nx = 1\n").is_some());
        assert!(skip_reason("\n\n\n\n\n\n# @generated\n").is_none());
        assert!(skip_reason("x = 1\n  #  codemod: skip-file  \n").is_some());
        assert!(skip_reason("x = 1  # codemod: skip-file later\n").is_none());
    }
}
