//! `cargo xtask snapshots [--update]`: run every testdata case and the example project
//! through the tool (`crates/rewriter/tests/cases.rs`) and check their insta snapshots
//! (`testdata/snapshots/`), or rewrite them. Snapshots whose case is gone are reported
//! (and deleted with `--update`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Rewrite the snapshots that changed (review the diff before committing).
    #[arg(long)]
    update: bool,
}

/// Snapshots that are not named after a case.
const OTHER_SNAPSHOTS: &[&str] = &["example_inventory_service"];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has a parent folder")?
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "-p", "codemod-rewriter", "--test", "cases"])
        .current_dir(&root)
        .env("INSTA_UPDATE", if args.update { "always" } else { "no" })
        .env("INSTA_FORCE_PASS", "0")
        .status()
        .context("running cargo test")?;
    let stale = stale_snapshots(&root)?;
    for path in &stale {
        if args.update {
            std::fs::remove_file(path).with_context(|| path.display().to_string())?;
            println!("deleted {} (its case is gone)", path.display());
        } else {
            println!("stale: {} (its case is gone)", path.display());
        }
    }
    if args.update {
        let changed = Command::new("git")
            .args(["status", "--porcelain", "--", "testdata/snapshots"])
            .current_dir(&root)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if changed.trim().is_empty() {
            println!("snapshots unchanged");
        } else {
            println!("snapshots changed (review with `git diff testdata/snapshots`):\n{changed}");
        }
    }
    if !status.success() {
        if !args.update {
            eprintln!(
                "snapshots differ from the tool's output: `cargo xtask snapshots --update` \
                 rewrites them (then review the diff)"
            );
        }
        return Ok(ExitCode::FAILURE);
    }
    if !args.update && !stale.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `testdata/snapshots/X.snap` without a `testdata/cases/X.py` or `testdata/cases/X/`.
fn stale_snapshots(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let cases = root.join("testdata/cases");
    let mut stale = vec![];
    let dir = root.join("testdata/snapshots");
    for entry in std::fs::read_dir(&dir).with_context(|| dir.display().to_string())? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(stem) = name
            .strip_suffix(".snap")
            .or_else(|| name.strip_suffix(".snap.new"))
        else {
            continue;
        };
        let known = OTHER_SNAPSHOTS.contains(&stem)
            || cases.join(format!("{stem}.py")).is_file()
            || cases.join(stem).is_dir();
        if !known {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}
