//! `codemod guard [PATH]`: which guard the rewrites use, where it comes from, what it does.

use std::io::Write;
use std::path::PathBuf;

use analyzer::index::ChosenGuard;
use analyzer::{GuardSource, ProjectIndex};
use owo_colors::OwoColorize;

use super::{check_exist, exit, load_config, CmdResult};
use crate::pipeline;
use crate::report::ErrorKind;
use crate::{render, walk, Format};

#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    /// A folder (or file) of the project; its tree is indexed.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Print a ready-to-paste guard module built on the tree's own session factory.
    #[arg(long)]
    pub suggest: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: GuardArgs) -> CmdResult {
    check_exist(std::slice::from_ref(&args.path))?;
    let config = load_config(args.config.as_deref(), &args.path)?;
    let root = walk::project_root(&args.path, &config);
    let walked = walk::collect(std::slice::from_ref(&args.path), &config);
    let files = pipeline::index_files(
        &root,
        &config,
        std::slice::from_ref(&args.path),
        &walked.files,
    );
    let indexed = pipeline::build_index(&root, config, &files);
    drop(files);

    let mut code = exit::OK;
    let mut problems = walked.errors;
    problems.extend(indexed.failures.into_iter().map(|(_, e)| e));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    for e in &problems {
        if e.kind == ErrorKind::Internal {
            render::print_error(e);
            code = exit::INTERNAL;
        } else {
            render::print_warning(&format!("{} (not indexed)", e.located()));
        }
    }

    let index = &indexed.index;
    let printed = match args.format {
        Format::Json => print_json(index, args.suggest),
        Format::Text if args.suggest => print_suggestion(index),
        Format::Text => print_text(index),
    };
    match printed {
        Ok(()) => Ok(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => {
            render::print_usage_error(&format!("cannot write output: {e}"));
            Ok(code.max(exit::FILE_ERRORS))
        }
    }
}

fn source_text(source: &GuardSource) -> String {
    match source {
        GuardSource::Config { path } => format!("config ({})", walk::display(path)),
        GuardSource::Discovered { path, line } => {
            format!("{}:{line}", walk::display(&walk::absolute(path)))
        }
        GuardSource::SqlalchemyBegin => {
            "SQLAlchemy fallback (`Factory.begin()`: no guard in the tree)".to_string()
        }
    }
}

fn write_guard(
    out: &mut impl Write,
    flavour: &str,
    guard: Option<&ChosenGuard>,
) -> std::io::Result<()> {
    let Some(g) = guard else {
        return writeln!(
            out,
            "{} {}",
            format!("{flavour} guard:").bold(),
            "none".dimmed()
        );
    };
    writeln!(
        out,
        "{} {}",
        format!("{flavour} guard:").bold(),
        g.expr.green()
    )?;
    if let Some(import) = &g.import {
        writeln!(out, "  import:    {}", import.to_statement())?;
    }
    writeln!(out, "  found in:  {}", source_text(&g.source))?;
    writeln!(out, "  lifecycle: {}", g.lifecycle.describe())
}

fn print_text(index: &ProjectIndex) -> std::io::Result<()> {
    let report = index.guard_report();
    let mut out = anstream::stdout().lock();
    write_guard(&mut out, "sync", report.sync.as_ref())?;
    write_guard(&mut out, "async", report.r#async.as_ref())?;
    for note in &report.notes {
        writeln!(out, "{} {note}", "note:".blue().bold())?;
    }
    out.flush()
}

fn print_suggestion(index: &ProjectIndex) -> std::io::Result<()> {
    let text = index.suggest_guard_module();
    let mut out = std::io::stdout().lock();
    write!(out, "{text}")?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    out.flush()
}

#[derive(serde::Serialize)]
struct GuardJson<'a> {
    #[serde(flatten)]
    guard: &'a ChosenGuard,
    found_in: String,
    lifecycle_description: String,
}

fn guard_json(guard: Option<&ChosenGuard>) -> Option<GuardJson<'_>> {
    guard.map(|g| GuardJson {
        guard: g,
        found_in: source_text(&g.source),
        lifecycle_description: g.lifecycle.describe(),
    })
}

fn print_json(index: &ProjectIndex, suggest: bool) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        sync: Option<GuardJson<'a>>,
        r#async: Option<GuardJson<'a>>,
        notes: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        suggested_module: Option<String>,
    }
    let report = index.guard_report();
    let doc = Doc {
        sync: guard_json(report.sync.as_ref()),
        r#async: guard_json(report.r#async.as_ref()),
        notes: &report.notes,
        suggested_module: suggest.then(|| index.suggest_guard_module()),
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    out.flush()
}
