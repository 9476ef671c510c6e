//! The little git the migration needs: is the tree clean, commit one file.

use std::path::Path;
use std::process::Command;

use crate::{io_err, Error};

fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null());
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(if err.is_empty() {
            format!("git {} failed ({})", args.join(" "), out.status)
        } else {
            err
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The tree's path inside its repository (`""` at the top, else `sub/dir/`), or why the
/// tree is not in a git repository.
pub fn prefix(dir: &Path) -> Result<String, String> {
    run(dir, &["rev-parse", "--show-prefix"]).map(|s| s.trim().to_string())
}

/// Uncommitted changes below `dir` as `(status, path relative to dir)`, untracked files
/// included, without `exclude` (the migration folder, relative to `dir`).
pub fn changes(dir: &Path, exclude: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    let prefix = prefix(dir).map_err(Error::Usage)?;
    let mut args = vec![
        "status".to_string(),
        "--porcelain=v1".to_string(),
        "-z".to_string(),
        "--untracked-files=all".to_string(),
        "--".to_string(),
        ".".to_string(),
    ];
    if let Some(ex) = exclude {
        args.push(format!(":(exclude){ex}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(dir, &args).map_err(|e| io_err("git status", e))?;
    let mut changes = vec![];
    let mut fields = out.split('\0').filter(|s| !s.is_empty());
    while let Some(field) = fields.next() {
        if field.len() < 4 {
            continue;
        }
        let (status, path) = field.split_at(3);
        let status = status.trim().to_string();
        if status.starts_with('R') || status.starts_with('C') {
            fields.next(); // the source of a rename or copy
        }
        // Porcelain paths are relative to the repository's top.
        let rel = path.strip_prefix(prefix.as_str()).unwrap_or(path);
        changes.push((status, rel.to_string()));
    }
    Ok(changes)
}

/// Commit `rel` alone with `message`; the new commit's id.
pub fn commit(dir: &Path, rel: &str, message: &str) -> Result<String, Error> {
    run(dir, &["add", "--", rel]).map_err(|e| io_err(format!("git add {rel}"), e))?;
    let mut cmd = git(dir);
    cmd.args(["commit", "--quiet", "--file", "-", "--", rel])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| io_err("git commit", e))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(message.as_bytes())
            .map_err(|e| io_err("git commit", e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| io_err("git commit", e))?;
    if !out.status.success() {
        return Err(io_err(
            format!("git commit {rel}"),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    run(dir, &["rev-parse", "HEAD"])
        .map(|s| s.trim().to_string())
        .map_err(|e| io_err("git rev-parse HEAD", e))
}

/// `rel` has no change against HEAD (staged or not).
pub fn unchanged(dir: &Path, rel: &str) -> Result<bool, Error> {
    run(dir, &["status", "--porcelain=v1", "--", rel])
        .map(|s| s.trim().is_empty())
        .map_err(|e| io_err(format!("git status {rel}"), e))
}

/// The id of the newest commit that touched `rel`.
pub fn last_commit_of(dir: &Path, rel: &str) -> Result<String, Error> {
    run(dir, &["log", "-1", "--format=%H", "--", rel])
        .map(|s| s.trim().to_string())
        .map_err(|e| io_err(format!("git log {rel}"), e))
}
