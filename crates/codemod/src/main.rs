//! `codemod`: find hand-written SQLAlchemy session blocks and rewrite them into the
//! codebase's scope guard.

mod baseline;
mod classify;
mod clusters;
mod codes;
mod collect;
mod commands;
mod html;
mod interactive;
mod interrupt;
mod pipeline;
mod render;
mod report;
mod sarif;
mod walk;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use commands::{
    apply::ApplyArgs, audit::AuditArgs, exit, guard::GuardArgs, plan::PlanArgs,
    report_cmd::ReportArgs,
};

#[derive(Debug, Parser)]
// `codemod 0.1.0 (abc1234 2026-12-04)`: the commit from build.rs, when known.
#[command(name = "codemod", version = env!("CODEMOD_VERSION"), about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the rewrites each file would get; write nothing (patches with --patch-dir).
    Plan(PlanArgs),
    /// Rewrite the named files in place (safe rewrites; --include-review for more).
    Apply(ApplyArgs),
    /// Show the guard the rewrites use, where it was found and what it does.
    Guard(GuardArgs),
    /// Lint: every finding with a code and a severity; exit 1 with --fail-on (CI gate).
    Audit(AuditArgs),
    /// The duplication map: blocks per file and class, clusters of same-shaped blocks.
    Report(ReportArgs),
    /// Migrate a tree file by file: review each patch, apply with a check, resume later.
    Migrate(migrate::MigrateArgs),
    /// Print the shell completion script of bash, zsh, fish, ... on stdout.
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Stack of every thread that parses or walks a syntax tree. The parser and the visitors
/// recurse once per nesting level: a generated expression 50,000 levels deep (`a+a+...`,
/// `f(f(...))`) needs tens of megabytes, far beyond a thread's default 2 MiB. Address space
/// only: the pages a shallow file never touches are never committed.
const STACK_SIZE: usize = 512 << 20;

fn main() -> ExitCode {
    pipeline::install_panic_hook();
    // clap exits 2 on usage errors and 0 for --help / --version.
    let cli = Cli::parse();
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .build_global();
    // The command itself runs on a thread of the same stack: some files are parsed there.
    let worker = std::thread::Builder::new()
        .name("codemod".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        // The panic was printed by the hook; an internal error.
        Ok(Err(_)) => ExitCode::from(exit::INTERNAL),
        Err(_) => no_worker_thread(),
    }
}

/// The completion script of `args.shell` on stdout, from the same clap definition as the
/// parser (subcommands, flags, value choices).
fn completions(args: CompletionsArgs) -> commands::CmdResult {
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "codemod", &mut script);
    // Into a buffer first: clap_complete panics on a write error, and a closed pipe
    // (`codemod completions bash | head`) is not one worth a panic.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&script).and_then(|()| out.flush());
    Ok(exit::OK)
}

/// Without a thread of our own (the system refused one), the command cannot run safely on
/// deep input; say so instead of risking a stack overflow.
fn no_worker_thread() -> ExitCode {
    render::print_usage_error("cannot start the worker thread (out of memory or threads)");
    ExitCode::from(exit::INTERNAL)
}

fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Guard(args) => commands::guard::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Report(args) => commands::report_cmd::run(args),
        Command::Migrate(args) => commands::migrate::run(args),
        Command::Completions(args) => completions(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            render::print_usage_error(&e.0);
            ExitCode::from(exit::USAGE)
        }
    }
}
