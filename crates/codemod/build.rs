//! `codemod --version`: the version and, when known, the commit it was built from
//! (`codemod 0.1.0 (abc1234 2026-12-04)`).
//!
//! The commit comes from git when this crate is built inside its own checkout (a clone, a
//! worktree, the clone pre-commit makes of the repository); else from `CODEMOD_COMMIT`
//! (and `CODEMOD_COMMIT_DATE`), for builds from an sdist or a source tarball; else the
//! version alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CODEMOD_COMMIT");
    println!("cargo:rerun-if-env-changed=CODEMOD_COMMIT_DATE");

    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = from_env().or_else(|| from_git(&dir));
    let full = match commit {
        Some((hash, Some(date))) => format!("{version} ({hash} {date})"),
        Some((hash, None)) => format!("{version} ({hash})"),
        None => version,
    };
    println!("cargo:rustc-env=CODEMOD_VERSION={full}");
}

fn from_env() -> Option<(String, Option<String>)> {
    let hash = non_empty(std::env::var("CODEMOD_COMMIT").ok()?)?;
    let date = std::env::var("CODEMOD_COMMIT_DATE")
        .ok()
        .and_then(non_empty);
    Some((hash, date))
}

/// The short hash and the commit date of HEAD, only if this crate is a tracked part of
/// the repository git finds: an sdist unpacked under some other checkout must not take
/// that checkout's commit.
fn from_git(dir: &Path) -> Option<(String, Option<String>)> {
    git(dir, &["ls-files", "--error-unmatch", "Cargo.toml"])?;
    let hash = non_empty(git(dir, &["rev-parse", "--short", "HEAD"])?)?;
    let date = git(dir, &["log", "-1", "--format=%cs", "HEAD"]).and_then(non_empty);
    rerun_on_head_change(dir);
    Some((hash, date))
}

/// Rebuild when HEAD moves: HEAD itself (another branch, a detached commit) and the ref it
/// points at (a new commit on the branch). Only existing files: cargo reruns a script on
/// every build when a listed path is missing. `--git-path` resolves worktrees (HEAD in the
/// worktree's git dir, branch refs in the common one).
fn rerun_on_head_change(dir: &Path) {
    let mut paths = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])];
    if let Some(head_ref) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        paths.push(git(dir, &["rev-parse", "--git-path", &head_ref]));
        // A ref packed by `git gc` lives in packed-refs.
        paths.push(git(dir, &["rev-parse", "--git-path", "packed-refs"]));
    }
    for p in paths.into_iter().flatten() {
        let p = dir.join(p);
        if p.is_file() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

fn non_empty(s: String) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}
