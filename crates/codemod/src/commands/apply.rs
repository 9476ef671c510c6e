//! `codemod apply FILE...`: plan the named files against the whole tree's index and write
//! the safe rewrites (review ones too on request).

use std::io::Write;
use std::path::{Path, PathBuf};

use analyzer::Safety;
use owo_colors::OwoColorize;
use rewriter::Selection;

use super::{check_exist, exit, load_config, CmdResult, UsageError};
use crate::pipeline::{self, Options};
use crate::report::{ErrorKind, FileError};
use crate::{render, walk};

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Files to rewrite.
    #[arg(required_unless_present = "patch", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Also write the rewrites classified review (behaviour changes in a named way).
    #[arg(long)]
    pub include_review: bool,
    /// Accept folders: rewrite every Python and Rust file below them.
    #[arg(long)]
    pub all: bool,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Apply a patch written by `plan --patch-dir` (repeatable), from the folder `plan`
    /// ran in: refused unless the file still has the bytes the patch was made from and
    /// re-planning it gives the patch's diff.
    #[arg(long, value_name = "FILE.patch", conflicts_with_all = ["files", "all", "include_review"])]
    pub patch: Vec<PathBuf>,
    /// Ask about each rewrite (y / n / a: this and the rest of the file / q: quit), like
    /// `git add -p`; needs a terminal.
    #[arg(short = 'i', long, conflicts_with = "patch")]
    pub interactive: bool,
}

pub fn run(args: ApplyArgs) -> CmdResult {
    if args.interactive {
        return crate::interactive::run(&args);
    }
    if !args.patch.is_empty() {
        return run_patches(args);
    }
    check_exist(&args.files)?;
    if !args.all {
        if let Some(dir) = args.files.iter().find(|p| walk::is_dir(p)) {
            return Err(UsageError(format!(
                "{}: is a directory; `apply` rewrites the files it is given \
                 (pass --all to rewrite every Python and Rust file below it, \
                 or run `codemod plan` first to see what would change)",
                dir.display()
            )));
        }
    }
    let first = args.files[0].clone();
    let config = load_config(args.config.as_deref(), &first)?;
    let _lock = rewriter::lock_project(&walk::project_root(&first, &config))
        .map_err(|busy| UsageError(busy.to_string()))?;
    let walked = walk::collect(&args.files, &config);
    let selection = if args.include_review {
        Selection::SafeAndReview
    } else {
        Selection::SafeOnly
    };
    let options = Options {
        selection,
        keep_plans: true,
        describe_blocks: false,
    };
    let run = pipeline::run(config, &args.files, &walked.files, walked.errors, options)?;
    let report = run.report;

    let mut code = exit::OK;
    let mut raise = |c: u8| code = code.max(c);
    for err in &run.index_errors {
        if err.kind == ErrorKind::Internal {
            render::print_error(err);
            raise(exit::INTERNAL);
        } else {
            render::print_warning(&format!(
                "{} (not indexed: its definitions are unknown to this run)",
                err.located()
            ));
        }
    }
    for err in &report.errors {
        report_error(err);
        raise(if err.kind == ErrorKind::Internal {
            exit::INTERNAL
        } else {
            exit::FILE_ERRORS
        });
    }
    for s in &report.skipped {
        let _ = writeln!(anstream::stderr(), "skipped {}: {}", s.path, s.reason);
    }

    let mut out = anstream::stdout().lock();
    let mut files_written = 0;
    let mut rewrites_written = 0;
    let mut review_left = 0;
    crate::interrupt::catch();
    let mut stopped_at = None;
    for (i, file) in report.files.iter().enumerate() {
        if crate::interrupt::requested() {
            stopped_at = Some(i);
            break;
        }
        review_left += file
            .findings
            .iter()
            .filter(|f| f.safety == Safety::Review && !f.applied)
            .count();
        let (Some(plan), Some(_)) = (&file.plan, &file.diff) else {
            // Nothing to write: still show why (manual findings).
            let _ = render::write_file(&mut out, file);
            continue;
        };
        let written = write_plan(&file.path, plan);
        match written {
            Ok(()) => {
                let _ = render::write_file(&mut out, file);
                files_written += 1;
                rewrites_written += file.applied().count();
            }
            Err(e) => {
                let _ = render::write_file(&mut out, file);
                report_error(&FileError {
                    path: file.display.clone(),
                    line: None,
                    kind: ErrorKind::Io,
                    message: write_message(&e),
                });
                raise(exit::FILE_ERRORS);
            }
        }
    }
    let _ = writeln!(
        out,
        "{} {rewrites_written} rewrite{} to {files_written} file{}",
        "applied".green().bold(),
        if rewrites_written == 1 { "" } else { "s" },
        if files_written == 1 { "" } else { "s" },
    );
    if let Some(i) = stopped_at {
        let left = report.files.len() - i;
        let _ = out.flush();
        let _ = writeln!(
            anstream::stderr(),
            "interrupted: {files_written} file{} written, the other {left} left as they were \
             (run apply again to finish)",
            if files_written == 1 { "" } else { "s" },
        );
        return Ok(exit::INTERRUPTED);
    }
    if review_left > 0 {
        let _ = writeln!(
            out,
            "{review_left} review rewrite{} not applied (pass --include-review to apply {})",
            if review_left == 1 { "" } else { "s" },
            if review_left == 1 { "it" } else { "them" },
        );
    }
    let _ = out.flush();
    Ok(code)
}

/// Write a planned file (atomic, refused if the file changed since it was read).
fn write_plan(path: &Path, plan: &rewriter::FilePlan) -> Result<(), rewriter::WriteError> {
    // Test-only fault hook (crates/codemod/tests/faults.rs): wait between planning and
    // writing so a test can change the file in that window. Unset in normal use.
    if let Some(ms) = std::env::var("CODEMOD_TEST_DELAY_BEFORE_WRITE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    rewriter::write_atomic(path, &plan.file.original_bytes(), &plan.new_bytes())
}

/// A patch may name only a file below the current folder: a relative path of plain names
/// (not absolute, no `..`) that, resolved, stays below it (a symlinked folder may lead out).
fn inside_current_dir(target: &str) -> Result<(), &'static str> {
    use std::path::Component;
    let p = Path::new(target);
    let plain = p
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if p.is_absolute() || !plain {
        return Err("names a file outside the current folder (an absolute path, or `..`)");
    }
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    if let (Ok(cwd), Ok(real)) = (cwd, std::fs::canonicalize(p)) {
        if !real.starts_with(&cwd) {
            return Err("names a file that leads outside the current folder (a symlink)");
        }
    }
    Ok(())
}

/// `apply --patch P...`: each patch's target must still hash to the recorded SHA-256, and
/// re-planning it (with the recorded selection, against the tree's index) must give the
/// patch's diff; then it is written like any `apply`. Otherwise the file is left alone.
fn run_patches(args: ApplyArgs) -> CmdResult {
    let mut patches = Vec::new();
    for p in &args.patch {
        let text = std::fs::read_to_string(p)
            .map_err(|e| UsageError(format!("{}: cannot read patch: {e}", p.display())))?;
        let header = render::PatchHeader::parse(&text).ok_or_else(|| {
            UsageError(format!(
                "{}: not a patch written by `codemod plan --patch-dir` \
                 (its account has no codemod-target / codemod-original-sha256 lines)",
                p.display()
            ))
        })?;
        patches.push((header, text));
    }
    let mut code = exit::OK;
    // A patch writes only below the current folder.
    patches.retain(|(h, _)| match inside_current_dir(&h.target) {
        Ok(()) => true,
        Err(why) => {
            report_error(&FileError {
                path: walk::printable(&h.target),
                line: None,
                kind: ErrorKind::Io,
                message: format!("the patch {why}; the patch was not applied"),
            });
            code = exit::FILE_ERRORS;
            false
        }
    });
    let mut out = anstream::stdout().lock();
    let mut files_written = 0;
    let mut rewrites_written = 0;
    for selection in [Selection::SafeOnly, Selection::SafeAndReview] {
        let group: Vec<&(render::PatchHeader, String)> = patches
            .iter()
            .filter(|(h, _)| h.selection == selection)
            .collect();
        if group.is_empty() {
            continue;
        }
        let targets: Vec<PathBuf> = group
            .iter()
            .map(|(h, _)| PathBuf::from(&h.target))
            .collect();
        let refuse = |target: &str, why: &str| {
            report_error(&FileError {
                path: target.to_string(),
                line: None,
                kind: ErrorKind::Io,
                message: format!("{why}; the patch was not applied"),
            });
        };
        let present: Vec<PathBuf> = targets
            .iter()
            .filter(|t| walk::exists(t))
            .cloned()
            .collect();
        for (h, _) in &group {
            if !walk::exists(Path::new(&h.target)) {
                refuse(
                    &h.target,
                    "no such file (run `apply --patch` where `plan` ran)",
                );
                code = code.max(exit::FILE_ERRORS);
            }
        }
        if present.is_empty() {
            continue;
        }
        let config = load_config(args.config.as_deref(), &present[0])?;
        let walked = walk::collect(&present, &config);
        let options = Options {
            selection,
            keep_plans: true,
            describe_blocks: false,
        };
        let root = patch_root(&present[0], &config);
        let _lock = rewriter::lock_project(&root).map_err(|busy| UsageError(busy.to_string()))?;
        let run = pipeline::run_from(
            &root,
            config,
            &present,
            &walked.files,
            walked.errors,
            options,
        )?;
        for err in &run.report.errors {
            report_error(err);
            code = code.max(if err.kind == ErrorKind::Internal {
                exit::INTERNAL
            } else {
                exit::FILE_ERRORS
            });
        }
        for (header, text) in &group {
            let abs = walk::absolute(Path::new(&header.target));
            if !walk::exists(&abs) || run.report.errors.iter().any(|e| e.path == header.target) {
                continue; // already reported
            }
            let file = run.report.files.iter().find(|f| f.path == abs);
            let plan = file.and_then(|f| f.plan.as_ref().map(|p| (f, p)));
            let Some((file, plan)) = plan else {
                let now = std::fs::read(&abs).map(|b| render::sha256_hex(&b));
                if now.as_deref().ok() != Some(header.sha256.as_str()) {
                    refuse(&header.target, "changed since the patch was made");
                } else {
                    refuse(&header.target, "re-planning it now rewrites nothing");
                }
                code = code.max(exit::FILE_ERRORS);
                continue;
            };
            if render::sha256_hex(&plan.file.original_bytes()) != header.sha256 {
                refuse(
                    &header.target,
                    "changed since the patch was made (its SHA-256 differs from the patch's)",
                );
                code = code.max(exit::FILE_ERRORS);
                continue;
            }
            let replanned = render::patch(file, selection).unwrap_or_default();
            let diff_of = |t: &str| render::patch_diff_start(t).map(|i| t[i..].to_string());
            if diff_of(&replanned) != diff_of(text) {
                refuse(
                    &header.target,
                    "re-planning it now gives a different diff than the patch's \
                     (config or guard changed?)",
                );
                code = code.max(exit::FILE_ERRORS);
                continue;
            }
            match write_plan(&file.path, plan) {
                Ok(()) => {
                    let _ = render::write_file(&mut out, file);
                    files_written += 1;
                    rewrites_written += file.applied().count();
                }
                Err(e) => {
                    refuse(&header.target, &write_message(&e));
                    code = code.max(exit::FILE_ERRORS);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} {rewrites_written} rewrite{} to {files_written} file{} from {} patch{}",
        "applied".green().bold(),
        if rewrites_written == 1 { "" } else { "s" },
        if files_written == 1 { "" } else { "s" },
        patches.len(),
        if patches.len() == 1 { "" } else { "es" },
    );
    let _ = out.flush();
    Ok(code)
}

/// The tree a patch is re-planned against: the target's project (config folder or root
/// marker, as for `plan`); without one, the current folder, where `plan` ran (the patch's
/// target path is relative to it), when the target is below it.
fn patch_root(target: &Path, config: &analyzer::LoadedConfig) -> PathBuf {
    if config.path.is_some() {
        return walk::project_root(target, config);
    }
    if let Some(root) = walk::marked_root(target) {
        return root;
    }
    let cwd = std::env::current_dir().map(|d| walk::canonical_dir(&d));
    match cwd {
        Ok(cwd) if walk::absolute(target).starts_with(&cwd) => cwd,
        _ => walk::project_root(target, config),
    }
}

/// The write error without its leading path (the caller names the path).
fn write_message(e: &rewriter::WriteError) -> String {
    match e {
        rewriter::WriteError::Changed { .. } => {
            "changed since it was planned; nothing written (re-run)".to_string()
        }
        rewriter::WriteError::Io { source, .. } => format!("cannot write: {source}"),
    }
}

fn report_error(err: &FileError) {
    if err.kind == ErrorKind::Internal {
        render::print_error(err);
        let _ = writeln!(
            anstream::stderr(),
            "  the file was left untouched; please report this with the file (or the block at \
             the line above) attached"
        );
    } else {
        render::print_error(&FileError {
            message: format!("{}; file left untouched", err.message),
            ..err.clone()
        });
    }
}
