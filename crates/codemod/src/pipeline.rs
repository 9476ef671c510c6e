//! The two passes, in parallel. Pass 1 reads every file of the tree and keeps only its
//! `FileFacts`; pass 2 plans the target files and keeps only files with findings (their
//! findings and rendered diff; the plan too when the caller writes).

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use analyzer::{FileFacts, LoadedConfig, ProjectIndex, SourceFile};
use codemod_core::Language;
use rayon::prelude::*;
use rewriter::Selection;

use crate::commands::UsageError;
use crate::report::{Counts, FileError, FileReport, RunReport, Skipped};
use crate::walk::{self, Target};

/// Above this many files a progress bar is shown (when stderr is a terminal).
const PROGRESS_THRESHOLD: usize = 200;

// ---------------------------------------------------------------------------------------
// Panics

thread_local! {
    /// Set while a file is processed under `guarded`: the panic hook records instead of
    /// printing.
    static IN_FILE: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Install a panic hook that stays silent for panics caught per file (their message is
/// reported as that file's internal error) and prints all others as usual.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if IN_FILE.with(Cell::get) {
            let text = info.to_string().replace('\n', " ");
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        } else {
            default(info);
        }
    }));
}

/// Run `f`, turning a panic into its message.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = IN_FILE.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_FILE.with(|c| c.set(was));
    result.map_err(|payload| {
        LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panicked".to_string())
    })
}

// ---------------------------------------------------------------------------------------
// Progress

pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn new(len: usize, label: &'static str) -> Progress {
        if len <= PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(len as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix:>9} [{bar:40}] {pos}/{len} {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label);
        Progress(Some(bar))
    }

    pub fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Pass 1

/// The index and the files that could not be indexed.
pub struct Indexed {
    pub index: ProjectIndex,
    /// Absolute path and error, for files whose facts are missing.
    pub failures: Vec<(PathBuf, FileError)>,
}

/// Pass 1 over `files` (absolute paths, deduplicated by the caller).
/// `Err` when the config names a guard no rewrite could import.
pub fn build_index(
    root: &Path,
    config: LoadedConfig,
    files: &[Target],
) -> Result<Indexed, UsageError> {
    let progress = Progress::new(files.len(), "indexing");
    let results: Vec<Result<Option<FileFacts>, FileError>> = files
        .par_iter()
        .map(|target| {
            let result = guarded(|| facts_of(target)).unwrap_or_else(|panic| {
                Err(FileError::internal(
                    &target.display,
                    format!("while indexing: {panic}"),
                ))
            });
            progress.inc();
            result
        })
        .collect();
    drop(progress);
    let mut facts = Vec::new();
    let mut failures = Vec::new();
    for (target, result) in files.iter().zip(results) {
        match result {
            Ok(Some(f)) => facts.push(f),
            Ok(None) => {}
            Err(e) => failures.push((target.path.clone(), e)),
        }
    }
    let index = ProjectIndex::build_in(root, config, facts);
    if let Some(e) = index.config_guard_error() {
        return Err(e.into());
    }
    Ok(Indexed { index, failures })
}

fn facts_of(target: &Target) -> Result<Option<FileFacts>, FileError> {
    // The project index holds Python definitions; a Rust file's transaction types are
    // resolved by the Rust front-end within the file.
    if walk::language_of(&target.path) == Language::Rust {
        return Ok(None);
    }
    let file = SourceFile::read(&target.path).map_err(|e| FileError::input(&target.display, &e))?;
    if !analyzer::index::may_define_facts(&file.text) {
        return Ok(None);
    }
    let parsed = analyzer::parse(&file).map_err(|e| FileError::input(&target.display, &e))?;
    Ok(Some(analyzer::collect_facts(
        &file,
        &parsed,
        analyzer::module_name(&target.path),
    )))
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
}

#[derive(Default)]
struct OneFile {
    parsed: bool,
    not_database: Vec<analyzer::NotDatabase>,
    report: Option<FileReport>,
    error: Option<FileError>,
    skipped: Option<Skipped>,
}

fn plan_one(index: &ProjectIndex, target: &Target, options: Options) -> OneFile {
    let file = match SourceFile::read(&target.path) {
        Ok(file) => file,
        Err(e) => {
            return OneFile {
                error: Some(FileError::input(&target.display, &e)),
                ..OneFile::default()
            }
        }
    };
    if let Some(reason) = rewriter::frontend::skip_reason(&file) {
        return OneFile {
            skipped: Some(Skipped {
                path: target.display.clone(),
                reason: reason.to_string(),
            }),
            ..OneFile::default()
        };
    }
    if !rewriter::frontend::may_contain_blocks(&file, index) {
        return OneFile::default();
    }
    match rewriter::plan_source(file, index, options.selection, |_| true) {
        Err(e) => OneFile {
            parsed: true,
            error: Some(FileError::plan(&target.display, &e)),
            ..OneFile::default()
        },
        Ok(plan) if plan.findings.is_empty() => OneFile {
            parsed: true,
            not_database: plan.not_database,
            ..OneFile::default()
        },
        Ok(mut plan) => {
            let not_database = std::mem::take(&mut plan.not_database);
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
                }),
                ..OneFile::default()
            }
        }
    }
}

/// Pass 2 over `targets` (sorted by display path).
pub fn plan_files(index: &ProjectIndex, targets: &[Target], options: Options) -> RunReport {
    let progress = Progress::new(targets.len(), "planning");
    let results: Vec<OneFile> = targets
        .par_iter()
        .map(|target| {
            let one =
                guarded(|| plan_one(index, target, options)).unwrap_or_else(|panic| OneFile {
                    parsed: true,
                    error: Some(FileError::internal(&target.display, panic)),
                    ..OneFile::default()
                });
            progress.inc();
            one
        })
        .collect();
    drop(progress);

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
    // Only Python files feed the project index: a run over Rust files alone reads none.
    let index_files = if walk::languages(targets).contains(&Language::Python) {
        index_files(root, &config, user_paths, targets)
    } else {
        Vec::new()
    };
    let indexed = build_index(root, config, &index_files)?;
    drop(index_files);
    let mut report = plan_files(&indexed.index, targets, options);
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
    use super::*;
    use analyzer::skip_reason;

    #[test]
    fn skip_markers() {
        assert!(skip_reason("# @generated by protoc\nx = 1\n").is_some());
        assert!(skip_reason("\n\n\n\n\n\n# @generated\n").is_none());
        assert!(skip_reason("x = 1\n  #  codemod: skip-file  \n").is_some());
        assert!(skip_reason("x = 1  # codemod: skip-file later\n").is_none());
    }

    #[test]
    fn guarded_turns_panics_into_messages() {
        install_panic_hook();
        let err = guarded(|| -> u8 { panic!("boom {}", 1) }).unwrap_err();
        assert!(err.contains("boom 1"), "{err}");
        assert_eq!(guarded(|| 3).unwrap(), 3);
    }
}
