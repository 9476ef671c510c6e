//! Developer tasks for the workspace, run as `cargo xtask <command>`.
//!
//! Each subcommand lives in its own module; this file only dispatches.

mod bench;
mod corpus;
mod migrate;
mod snapshots;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Workspace developer tasks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Benchmarks (they time; nothing in CI asserts a time).
    #[command(subcommand)]
    Bench(bench::Args),
    /// Run codemod over real PyPI packages and report counts, safety checks and timings.
    Corpus(corpus::Args),
    /// Migrate a tree file by file with snapshot review (same as `codemod migrate`).
    Migrate(migrate::Args),
    /// Check (or --update) the insta snapshots of every testdata case and the example.
    Snapshots(snapshots::Args),
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    match Cli::parse().command {
        Command::Bench(args) => bench::run(args),
        Command::Corpus(args) => corpus::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Snapshots(args) => snapshots::run(args),
    }
}
