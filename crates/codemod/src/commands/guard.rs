//! `codemod guard [PATH]`: which guard the rewrites use, where it comes from, what it does.

use std::io::Write;
use std::path::{Path, PathBuf};

use analyzer::classify::FileClass;
use analyzer::index::{ChosenGuard, GuardShape};
use analyzer::registry::Guard;
use analyzer::{GuardReport, GuardSource, Lifecycle, ProjectIndex};
use codemod_core::Language;
use owo_colors::OwoColorize;

use super::{check_exist, exit, load_config, CmdResult, UsageError};
use crate::pipeline;
use crate::report::ErrorKind;
use crate::{render, walk, Format};

#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    /// A folder (or file) of the project; its tree is indexed.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Print a ready-to-paste guard module built on the session factory or generator
    /// dependency production code uses most.
    #[arg(long)]
    pub suggest: bool,
    /// Write the suggested module to FILE (never overwrites; implies --suggest).
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Use this config file instead of discovering one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: GuardArgs) -> CmdResult {
    check_exist(std::slice::from_ref(&args.path))?;
    let (indexed, files, mut code) = index_tree(&args)?;
    let index = indexed.project.python();
    if let Some(file) = &args.write {
        return write_suggestion(&args, index, &files, file).map(|c| c.max(code));
    }
    let printed = match args.format {
        Format::Json => print_json(index, args.suggest.then_some(&files[..])),
        Format::Text if args.suggest => match index.suggest_guard(&files, None) {
            Ok((text, _, skipped)) => print_suggestion(&text, &skipped),
            Err(why) => {
                render::print_usage_error(&why);
                return Ok(code.max(exit::USAGE));
            }
        },
        Format::Text => print_text(index),
    };
    match printed {
        Ok(()) => Ok(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => {
            render::print_usage_error(&format!("cannot write output: {e}"));
            code = code.max(exit::FILE_ERRORS);
            Ok(code)
        }
    }
}

/// Pass 1 over the tree as `plan` does: the index, the walked files, the exit code so far
/// (problems are printed).
fn index_tree(args: &GuardArgs) -> Result<(pipeline::Indexed, Vec<PathBuf>, u8), UsageError> {
    let config = load_config(args.config.as_deref(), &args.path)?;
    let root = walk::project_root(&args.path, &config);
    let walked = walk::collect(std::slice::from_ref(&args.path), &config);
    let files = pipeline::index_files(
        &root,
        &config,
        std::slice::from_ref(&args.path),
        &walked.files,
    );
    // Guards are Python's: its files alone are read.
    let indexed = pipeline::build_index(&root, config, &files, &[Language::Python])?;
    let paths = files.into_iter().map(|t| t.path).collect();
    let mut code = exit::OK;
    let mut problems = walked.errors;
    problems.extend(indexed.failures.iter().map(|(_, e)| e.clone()));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    for e in &problems {
        if e.kind == ErrorKind::Internal {
            render::print_error(e);
            code = exit::INTERNAL;
        } else {
            render::print_warning(&format!("{} (not indexed)", e.located()));
        }
    }
    Ok((indexed, paths, code))
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

/// Which target a guard of the tree is: `sync`, `async` or neither.
fn target_of(report: &GuardReport, g: &Guard) -> Option<&'static str> {
    let is = |c: &Option<ChosenGuard>| {
        c.as_ref().is_some_and(|c| match &c.source {
            GuardSource::Discovered { path, line } => path == &g.path && *line == g.def.line,
            GuardSource::Config { .. } => {
                let callee = c.expr.split('(').next().unwrap_or(&c.expr);
                c.defined_in.as_deref() == Some(g.path.as_path())
                    && callee.rsplit('.').next() == Some(g.def.name.as_str())
            }
            GuardSource::SqlalchemyBegin => false,
        })
    };
    if is(&report.sync) && !g.def.is_async {
        Some("sync")
    } else if is(&report.r#async) && g.def.is_async {
        Some("async")
    } else {
        None
    }
}

/// How production code imports a guard, else `from <module> import <name>` (functions).
fn guard_import(g: &Guard) -> Option<String> {
    g.written
        .iter()
        .find_map(|w| w.import.as_ref().map(|i| i.to_statement()))
        .or_else(|| {
            let module = g.module.as_ref()?;
            g.def
                .class
                .is_none()
                .then(|| format!("from {module} import {}", g.def.name))
        })
}

fn shape_name(shape: GuardShape) -> String {
    serde_json::to_value(shape)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The guards of the tree (nested ones, reached only through what returns them, are
/// counted, not listed).
fn write_guard_list(out: &mut impl Write, report: &GuardReport) -> std::io::Result<()> {
    let listed: Vec<&Guard> = report.guards.iter().filter(|g| !g.def.nested).collect();
    let nested = report.guards.len() - listed.len();
    writeln!(out, "{} {}", "guards in the tree:".bold(), listed.len())?;
    for g in listed {
        let target = match target_of(report, g) {
            Some(t) => format!("  <- {t} target").green().to_string(),
            None => String::new(),
        };
        let flavour = if g.def.is_async { "async " } else { "" };
        writeln!(out, "  {flavour}{}{target}", g.expr().bold())?;
        if let Some(import) = guard_import(g) {
            writeln!(out, "    import:    {import}")?;
        }
        writeln!(
            out,
            "    defined:   {}:{} ({} file, {})",
            walk::display(&walk::absolute(&g.path)),
            g.def.line,
            g.file_class,
            shape_name(g.def.shape)
        )?;
        writeln!(out, "    lifecycle: {}", g.describe_lifecycle())?;
        writeln!(
            out,
            "    uses:      {} production, {} test",
            g.production_uses, g.test_uses
        )?;
    }
    if nested > 0 {
        writeln!(
            out,
            "  ({nested} nested guard(s) not listed: defined inside a function, reached \
             only through the function that returns them)"
        )?;
    }
    Ok(())
}

fn print_text(index: &ProjectIndex) -> std::io::Result<()> {
    let report = index.guard_report();
    let mut out = anstream::stdout().lock();
    write_guard(&mut out, "sync", report.sync.as_ref())?;
    write_guard(&mut out, "async", report.r#async.as_ref())?;
    write_guard_list(&mut out, report)?;
    for note in &report.notes {
        writeln!(out, "{} {note}", "note:".blue().bold())?;
    }
    out.flush()
}

fn print_suggestion(text: &str, skipped: &[String]) -> std::io::Result<()> {
    for s in skipped {
        let _ = writeln!(
            anstream::stderr(),
            "{} not used: {s}",
            "note:".blue().bold()
        );
    }
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

/// One guard of the tree in `--format json` (the corpus tool reads these keys).
#[derive(serde::Serialize)]
struct ListedJson {
    expr: String,
    import: Option<String>,
    path: String,
    line: usize,
    shape: GuardShape,
    is_async: bool,
    lifecycle: Lifecycle,
    lifecycle_description: String,
    production_uses: usize,
    test_uses: usize,
    file_class: FileClass,
    target: Option<&'static str>,
}

fn listed_json(report: &GuardReport) -> Vec<ListedJson> {
    report
        .guards
        .iter()
        .filter(|g| !g.def.nested)
        .map(|g| ListedJson {
            expr: g.expr(),
            import: guard_import(g),
            path: walk::display(&walk::absolute(&g.path)),
            line: g.def.line,
            shape: g.def.shape,
            is_async: g.def.is_async,
            lifecycle: g.def.lifecycle,
            lifecycle_description: g.describe_lifecycle(),
            production_uses: g.production_uses,
            test_uses: g.test_uses,
            file_class: g.file_class,
            target: target_of(report, g),
        })
        .collect()
}

/// `suggest`: the tree's files, to suggest a module from.
fn print_json(index: &ProjectIndex, suggest: Option<&[PathBuf]>) -> std::io::Result<()> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        sync: Option<GuardJson<'a>>,
        r#async: Option<GuardJson<'a>>,
        notes: &'a [String],
        guards: Vec<ListedJson>,
        #[serde(skip_serializing_if = "Option::is_none")]
        suggested_module: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        suggested_for: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        suggest_error: Option<String>,
    }
    let report = index.guard_report();
    let suggestion = suggest.map(|files| index.suggest_guard(files, None));
    let (module, target, error) = match suggestion {
        Some(Ok((text, target, _))) => (Some(text), Some(walk::display(&target)), None),
        Some(Err(why)) => (None, None, Some(why)),
        None => (None, None, None),
    };
    let doc = Doc {
        sync: guard_json(report.sync.as_ref()),
        r#async: guard_json(report.r#async.as_ref()),
        notes: &report.notes,
        guards: listed_json(report),
        suggested_module: module,
        suggested_for: target,
        suggest_error: error,
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    out.flush()
}

/// Create `path` with `text`, never replacing a file: a temp file in the same folder, then
/// linked into place only if nothing is there.
fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// `--write FILE`: where it goes, absolute with a canonical folder (as the index names files).
fn write_target(file: &Path) -> Result<PathBuf, UsageError> {
    let abs = walk::absolute(file);
    if walk::exists(&abs) {
        return Err(UsageError(format!(
            "{}: already exists; not overwritten (choose another file or remove it)",
            file.display()
        )));
    }
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else {
        return Err(UsageError(format!("{}: not a file path", file.display())));
    };
    let dir =
        std::fs::canonicalize(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    Ok(dir.join(name))
}

fn write_suggestion(
    args: &GuardArgs,
    index: &ProjectIndex,
    files: &[PathBuf],
    file: &Path,
) -> CmdResult {
    let target = write_target(file)?;
    let (text, target, skipped) = match index.suggest_guard(files, Some(&target)) {
        Ok(s) => s,
        Err(why) if why.starts_with("internal:") => {
            render::print_usage_error(&why);
            return Ok(exit::INTERNAL);
        }
        Err(why) => return Err(UsageError(why)),
    };
    for s in &skipped {
        let _ = writeln!(
            anstream::stderr(),
            "{} not used: {s}",
            "note:".blue().bold()
        );
    }
    if let Err(e) = create_new(&target, &text) {
        render::print_usage_error(&format!("{}: cannot write: {e}", walk::display(&target)));
        return Ok(exit::FILE_ERRORS);
    }
    let mut out = anstream::stdout().lock();
    let _ = writeln!(out, "wrote {}", walk::display(&target));
    let (again, _, code) = index_tree(args)?;
    for (flavour, name) in [("sync", "get_db_session"), ("async", "get_async_session")] {
        if text.contains(&format!("def {name}(")) {
            report_target(&mut out, again.project.python(), &target, flavour, name);
        }
    }
    Ok(code)
}

/// After writing: whether discovery picks the new guard, else the config lines that do.
fn report_target(
    out: &mut impl Write,
    index: &ProjectIndex,
    target: &Path,
    flavour: &str,
    name: &str,
) {
    let report = index.guard_report();
    let chosen = if flavour == "async" {
        &report.r#async
    } else {
        &report.sync
    };
    let picked = chosen.as_ref().is_some_and(
        |c| matches!(&c.source, GuardSource::Discovered { path, .. } if path == target),
    );
    if picked {
        let _ = writeln!(
            out,
            "{flavour} target: {name}() (found by discovery; no config needed)"
        );
        return;
    }
    let key = if flavour == "async" {
        "async-guard"
    } else {
        "guard"
    };
    let module = index.module_of(target).unwrap_or_else(|| "<module>".into());
    let _ = writeln!(
        out,
        "{flavour} target: discovery does not pick {name}(); add to pyproject.toml (or \
         codemod.toml without the table header):\n[tool.codemod]\n{key} = \"{name}()\"\n\
         {key}-import = \"from {module} import {name}\""
    );
}
