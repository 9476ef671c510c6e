//! `cargo check` of one crate copy, with a target directory shared by all crates and runs.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::super::run_measured;
use super::cargo;

/// How one `cargo check` went.
#[derive(Serialize, Clone, Default)]
pub(super) struct Check {
    pub built: bool,
    pub wall_s: f64,
    /// Warning lines reported for the crate itself (cargo shows none for dependencies).
    pub warnings: Vec<String>,
    /// The first error line, when it did not build.
    pub first_error: Option<String>,
}

/// Runs `cargo check --message-format short ARGS` in `dir`, output kept under `run_dir`.
pub(super) fn cargo_check(
    dir: &Path,
    target_dir: &Path,
    args: &[String],
    run_dir: &Path,
    label: &str,
    timeout: Duration,
) -> Result<Check> {
    let stdout = run_dir.join(format!("{label}.stdout"));
    let stderr = run_dir.join(format!("{label}.stderr"));
    let mut cmd = Command::new(cargo());
    cmd.args(["check", "--message-format", "short"])
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir)
        // A crate's own `#![deny(warnings)]` would fail on lints newer than it: only errors count.
        .env("RUSTFLAGS", "--cap-lints=warn")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    let outcome = run_measured(cmd, &stdout, &stderr, timeout)?;
    let log = std::fs::read_to_string(&stderr).unwrap_or_default();
    let built = outcome.status.success();
    let first_error = if built {
        None
    } else {
        first_error_line(&log).or_else(|| Some(outcome.describe()))
    };
    Ok(Check {
        built,
        wall_s: outcome.wall.as_secs_f64(),
        warnings: log
            .lines()
            .filter(|l| l.contains(": warning: "))
            .map(str::to_string)
            .collect(),
        first_error,
    })
}

/// Warnings of `after` that `before` does not have, told apart by file and message (an
/// edit moves the lines below it).
pub(super) fn new_warnings(before: &Check, after: &Check) -> Vec<String> {
    let mut seen: Vec<String> = before.warnings.iter().map(|w| warning_key(w)).collect();
    let mut new = Vec::new();
    for w in &after.warnings {
        match seen.iter().position(|k| *k == warning_key(w)) {
            Some(i) => {
                seen.swap_remove(i);
            }
            None => new.push(w.clone()),
        }
    }
    new
}

/// `path: warning: message` of `path:line:col: warning: message`.
fn warning_key(line: &str) -> String {
    let mut parts = line.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(path), Some(_line), Some(_col), Some(rest)) => format!("{path}:{rest}"),
        _ => line.to_string(),
    }
}

fn first_error_line(log: &str) -> Option<String> {
    log.lines()
        .find(|l| l.contains(": error") || l.starts_with("error"))
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_is_found_in_short_messages() {
        let log = "   Compiling x v0.1.0\nsrc/lib.rs:3:5: warning: unused variable\nsrc/lib.rs:9:1: error[E0425]: cannot find value `tx`\nerror: could not compile `x`\n";
        assert_eq!(
            first_error_line(log).as_deref(),
            Some("src/lib.rs:9:1: error[E0425]: cannot find value `tx`")
        );
        assert_eq!(first_error_line("    Finished `dev` profile\n"), None);
    }

    #[test]
    fn moved_warnings_are_not_new() {
        let check = |lines: &[&str]| Check {
            built: true,
            warnings: lines.iter().map(|l| l.to_string()).collect(),
            ..Check::default()
        };
        let before = check(&["src/a.rs:10:5: warning: unused import: `x`"]);
        let after = check(&[
            "src/a.rs:9:5: warning: unused import: `x`",
            "tests/t.rs:497:17: warning: unused variable: `tx`",
        ]);
        assert_eq!(
            new_warnings(&before, &after),
            ["tests/t.rs:497:17: warning: unused variable: `tx`"]
        );
    }
}
