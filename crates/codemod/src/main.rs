//! `codemod`: find hand-written SQLAlchemy session blocks and rewrite them into the
//! codebase's scope guard.

mod commands;
mod pipeline;
mod render;
mod report;
mod walk;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use commands::{apply::ApplyArgs, exit, guard::GuardArgs, plan::PlanArgs};

#[derive(Debug, Parser)]
#[command(name = "codemod", version, about, long_about = None)]
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    pipeline::install_panic_hook();
    // clap exits 2 on usage errors and 0 for --help / --version.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => commands::plan::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Guard(args) => commands::guard::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            render::print_usage_error(&e.0);
            ExitCode::from(exit::USAGE)
        }
    }
}
