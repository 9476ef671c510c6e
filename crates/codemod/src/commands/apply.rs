//! `codemod apply FILE...`: plan the named files against the whole tree's index and write
//! the safe rewrites (review ones too on request).

use std::io::Write;
use std::path::PathBuf;

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
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Also write the rewrites classified review (behaviour changes in a named way).
    #[arg(long)]
    pub include_review: bool,
    /// Accept folders: rewrite every Python file below them.
    #[arg(long)]
    pub all: bool,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: ApplyArgs) -> CmdResult {
    check_exist(&args.files)?;
    if !args.all {
        if let Some(dir) = args.files.iter().find(|p| walk::is_dir(p)) {
            return Err(UsageError(format!(
                "{}: is a directory; `apply` rewrites the files it is given \
                 (pass --all to rewrite every Python file below it, \
                 or run `codemod plan` first to see what would change)",
                dir.display()
            )));
        }
    }
    let first = args.files[0].clone();
    let config = load_config(args.config.as_deref(), &first)?;
    let walked = walk::collect(&args.files, &config);
    let selection = if args.include_review {
        Selection::SafeAndReview
    } else {
        Selection::SafeOnly
    };
    let options = Options {
        selection,
        keep_plans: true,
    };
    let run = pipeline::run(config, &args.files, &walked.files, walked.errors, options);
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
    for file in &report.files {
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
        let written =
            rewriter::write_atomic(&file.path, &plan.file.original_bytes(), &plan.new_bytes());
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
