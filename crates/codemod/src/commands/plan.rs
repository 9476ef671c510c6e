//! `codemod plan [PATH...]`: show what would change, write nothing (but patches on request).

use std::io::Write;
use std::path::{Path, PathBuf};

use rewriter::Selection;

use super::{check_exist, exit, load_config, CmdResult, UsageError};
use crate::pipeline::{self, Options};
use crate::report::{ErrorKind, FileError, RunReport};
use crate::{render, walk, Format};

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Files and folders to plan (folders are walked for `*.py` and `*.rs`, honouring .gitignore).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Plan only the rewrites classified safe.
    #[arg(long)]
    pub safe_only: bool,
    /// Write one `git apply`-able patch per changed file into DIR.
    #[arg(long, value_name = "DIR")]
    pub patch_dir: Option<PathBuf>,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: PlanArgs) -> CmdResult {
    check_exist(&args.paths)?;
    let first = args.paths[0].clone();
    let config = load_config(args.config.as_deref(), &first)?;
    if let Some(dir) = &args.patch_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            UsageError(format!(
                "{}: cannot create patch folder: {e}",
                dir.display()
            ))
        })?;
    }
    let walked = walk::collect(&args.paths, &config);
    let selection = if args.safe_only {
        Selection::SafeOnly
    } else {
        Selection::SafeAndReview
    };
    let options = Options {
        selection,
        // Patches record the SHA-256 of the bytes planned (checked by `apply --patch`).
        keep_plans: args.patch_dir.is_some(),
        describe_blocks: false,
    };
    let run = pipeline::run(config, &args.paths, &walked.files, walked.errors, options)?;
    let mut report = run.report;
    report
        .errors
        .extend(run.index_errors.into_iter().map(|mut e| {
            if e.kind != ErrorKind::Internal {
                e.message
                    .push_str(" (not indexed: its definitions are unknown to the run)");
            }
            e
        }));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));

    let mut code = if report.has_internal_error() {
        exit::INTERNAL
    } else {
        exit::OK
    };
    if let Some(dir) = &args.patch_dir {
        if let Err(e) = write_patches(dir, &report, selection) {
            render::print_error(&e);
            code = code.max(exit::FILE_ERRORS);
        }
    }
    for err in &report.errors {
        render::print_error(err);
    }
    let printed = match args.format {
        Format::Json => print_json(&report),
        Format::Text => print_text(&report),
    };
    if let Err(e) = printed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            render::print_usage_error(&format!("cannot write output: {e}"));
            code = code.max(exit::FILE_ERRORS);
        }
    }
    Ok(code)
}

/// A new temp file in the patch folder, renamed over the name: a symlink already standing
/// there is replaced, never written through (it could point anywhere).
fn write_patch(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".codemod-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn print_text(report: &RunReport) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    for file in &report.files {
        render::write_file(&mut out, file)?;
    }
    render::write_summary(&mut out, report)?;
    out.flush()
}

fn print_json(report: &RunReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    report.write_json(&mut out)?;
    writeln!(out)?;
    out.flush()
}

fn write_patches(dir: &Path, report: &RunReport, selection: Selection) -> Result<(), FileError> {
    let mut written = 0;
    let mut used = std::collections::HashSet::new();
    for file in &report.files {
        let Some(text) = render::patch(file, selection) else {
            continue;
        };
        let path = dir.join(render::unique_patch_name(&file.display, &mut used));
        write_patch(&path, text.as_bytes()).map_err(|e| FileError {
            path: walk::display(&walk::absolute(&path)),
            line: None,
            kind: ErrorKind::Io,
            message: format!("cannot write patch: {e}"),
        })?;
        written += 1;
    }
    let _ = writeln!(
        anstream::stderr(),
        "wrote {written} patch{} to {}",
        if written == 1 { "" } else { "es" },
        dir.display()
    );
    Ok(())
}
