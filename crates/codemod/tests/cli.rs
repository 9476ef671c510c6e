//! End-to-end tests of the `codemod` binary on a tiny SQLAlchemy service in a temp dir.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::*;

/// Line and column of `session = SessionLocal()` in `SERVICE_PY`.
const SERVICE_BLOCK: &str = "service.py:6:5";

/// The same block under another function name, for extra files.
fn block_file(header: &str, func: &str) -> String {
    format!("{header}{}", SERVICE_PY.replace("create_user", func))
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

/// A project: `pyproject.toml` (marks the root), `db.py` with the guard, `service.py` with
/// one manual block.
fn service_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pyproject.toml", "[project]\nname = \"svc\"\n");
    write(dir.path(), "db.py", DB_PY);
    write(dir.path(), "service.py", SERVICE_PY);
    dir
}

fn codemod(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

#[track_caller]
fn assert_code(o: &Output, expected: i32) {
    assert_eq!(
        code(o),
        expected,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e})\n--- stdout\n{}\n--- stderr\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// Every regular file below `dir` with its bytes (symlinks and folders left out).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let ft = entry.file_type().unwrap();
            if ft.is_dir() {
                walk(&entry.path(), out);
            } else if ft.is_file() {
                out.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// plan

#[test]
fn plan_text_lists_findings_then_diff_then_summary() {
    let dir = service_tree();
    let before = snapshot(dir.path());
    let out = codemod(dir.path(), &["plan"]);
    assert_code(&out, 0);
    let text = stdout(&out);

    let header = text
        .lines()
        .find(|l| l.starts_with(SERVICE_BLOCK))
        .unwrap_or_else(|| panic!("no finding line for {SERVICE_BLOCK}:\n{text}"));
    assert!(header.contains("manual-lifecycle [safe]"), "{header}");

    let diff_at = text
        .find("--- a/service.py")
        .expect("a diff for service.py");
    assert!(
        text.find(SERVICE_BLOCK).unwrap() < diff_at,
        "header before diff:\n{text}"
    );
    assert!(text.contains("+++ b/service.py"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with('+') && l.contains("with get_db_session() as session:")),
        "{text}"
    );
    assert!(
        !text.contains("a/db.py"),
        "the guard itself is not rewritten:\n{text}"
    );

    assert!(text.contains("files scanned:  2"), "{text}");
    assert!(text.contains("files changed:  1"), "{text}");
    assert!(text.contains("manual-lifecycle 1"), "{text}");
    assert!(text.contains("safe 1"), "{text}");
    assert!(text.contains("errors:         0"), "{text}");
    // stdout is not a terminal: no colour codes.
    assert!(!text.contains('\u{1b}'), "{text:?}");
    // plan writes nothing.
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn plan_colours_when_forced() {
    let dir = service_tree();
    let out = Command::new(env!("CARGO_BIN_EXE_codemod"))
        .arg("plan")
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(stdout(&out).contains("\u{1b}["), "{}", stdout(&out));
}

#[test]
fn plan_json_has_the_documented_shape() {
    let dir = service_tree();
    // A second file with a block (path order), and an ignored copy that must not show.
    write(dir.path(), "app/orders.py", block_file("", "create_order"));
    write(dir.path(), ".gitignore", "build/\n");
    write(dir.path(), "build/service.py", SERVICE_PY);
    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);

    let files = doc["files"].as_array().expect("files array");
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["app/orders.py", "service.py"], "{doc:#}");
    let service = &files[1];
    let rewrites = service["rewrites"].as_array().unwrap();
    assert_eq!(rewrites.len(), 1, "{doc:#}");
    let r = &rewrites[0];
    assert_eq!(r["line"], 6);
    assert_eq!(r["column"], 5);
    assert_eq!(r["kind"], "manual-lifecycle");
    assert_eq!(r["safety"], "safe");
    assert!(r["reason"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
    assert_eq!(r["applied"], true);
    let diff = service["diff"].as_str().unwrap();
    assert!(diff.contains("--- a/service.py"), "{diff}");
    assert!(diff.contains("+++ b/service.py"), "{diff}");

    assert_eq!(doc["errors"], Value::Array(vec![]), "{doc:#}");
    let summary = &doc["summary"];
    assert_eq!(summary["files_scanned"], 3, "{summary:#}");
    let parsed = summary["files_parsed"].as_u64().unwrap();
    assert!((2..=3).contains(&parsed), "{summary:#}");
    assert_eq!(summary["files_changed"], 2);
    assert_eq!(summary["blocks_by_kind"]["manual-lifecycle"], 2);
    assert_eq!(summary["rewrites_by_class"]["safe"], 2);
    assert_eq!(summary["rewrites_by_class"]["review"], 0);
    assert_eq!(summary["rewrites_by_class"]["manual"], 0);
    assert_eq!(summary["skipped"], Value::Array(vec![]));
    assert!(summary["notes"].is_array());
    assert_eq!(summary["config"], Value::Null, "no config: {summary:#}");
}

#[test]
fn plan_safe_only_applies_only_safe_rewrites() {
    let dir = service_tree();
    let out = codemod(dir.path(), &["plan", "--safe-only", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);
    for f in doc["files"].as_array().unwrap() {
        for r in f["rewrites"].as_array().unwrap() {
            if r["applied"] == true {
                assert_eq!(r["safety"], "safe", "{r}");
            }
        }
    }
}

#[test]
fn plan_notes_when_the_tree_has_no_guard() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pyproject.toml", "[project]\nname = \"svc\"\n");
    write(
        dir.path(),
        "service.py",
        format!(
            "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n\n{}",
            SERVICE_PY.replace("from db import SessionLocal\n", "")
        ),
    );
    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    let notes = json(&out)["summary"]["notes"].as_array().unwrap().clone();
    assert!(!notes.is_empty(), "a note says no guard was found");

    let out = codemod(dir.path(), &["plan"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert_eq!(
        text.matches("note:").count(),
        notes.len(),
        "notes printed once:\n{text}"
    );
}

#[test]
fn patch_dir_patches_apply_with_git_and_match_apply() {
    let dir = service_tree();
    write(dir.path(), "app/orders.py", block_file("", "create_order"));
    let patches = dir.path().join("patches");
    let out = codemod(dir.path(), &["plan", "--patch-dir", "patches"]);
    assert_code(&out, 0);

    let mut names: Vec<String> = std::fs::read_dir(&patches)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["app__orders.py.patch", "service.py.patch"]);

    let patch = std::fs::read_to_string(patches.join("service.py.patch")).unwrap();
    let first_diff = patch
        .find("diff --git a/service.py b/service.py")
        .expect("git header");
    let account = &patch[..first_diff];
    assert!(
        account.contains(SERVICE_BLOCK),
        "account names the rewrite:\n{patch}"
    );
    assert!(!account.lines().any(|l| l.starts_with("---")), "{patch}");

    for name in &names {
        let check = Command::new("git")
            .args(["apply", "--check", "-v"])
            .arg(patches.join(name))
            .current_dir(dir.path())
            .output()
            .expect("git runs");
        assert!(
            check.status.success(),
            "git apply --check {name}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    // The patch gives the same text as `codemod apply`.
    let twin = service_tree();
    let applied = codemod(twin.path(), &["apply", "service.py"]);
    assert_code(&applied, 0);
    let git = Command::new("git")
        .arg("apply")
        .arg(patches.join("service.py.patch"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        git.status.success(),
        "{}",
        String::from_utf8_lossy(&git.stderr)
    );
    assert_eq!(
        read(dir.path(), "service.py"),
        read(twin.path(), "service.py")
    );
}

#[test]
fn broken_files_are_reported_and_the_rest_is_planned() {
    let dir = service_tree();
    // Mentions the factory (so it passes the cheap test and is parsed), line 3 is bad.
    write(
        dir.path(),
        "bad_syntax.py",
        "from db import SessionLocal\n\ndef broken(:\n    session = SessionLocal()\n",
    );
    write(
        dir.path(),
        "latin1.py",
        b"from db import SessionLocal\nname = '\xe9'\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("missing.py"), dir.path().join("gone.py")).unwrap();
    let before = snapshot(dir.path());

    let out = codemod(dir.path(), &["plan"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("bad_syntax.py:3:"), "{err}");
    assert!(err.contains("syntax error"), "{err}");
    assert!(err.contains("latin1.py:2:"), "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
    #[cfg(unix)]
    assert!(
        err.lines()
            .any(|l| l.contains("gone.py") && l.contains("cannot read")),
        "{err}"
    );
    let text = stdout(&out);
    assert!(
        text.contains(SERVICE_BLOCK),
        "the rest is still planned:\n{text}"
    );

    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);
    let errors = doc["errors"].as_array().unwrap();
    let kind_of = |path: &str| {
        errors
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("no error for {path}: {doc:#}"))
    };
    assert_eq!(kind_of("bad_syntax.py")["kind"], "syntax");
    assert_eq!(kind_of("bad_syntax.py")["line"], 3);
    assert_eq!(kind_of("latin1.py")["kind"], "encoding");
    assert_eq!(kind_of("latin1.py")["line"], 2);
    #[cfg(unix)]
    {
        assert_eq!(kind_of("gone.py")["kind"], "io");
        assert_eq!(kind_of("gone.py")["line"], Value::Null);
    }
    assert_eq!(doc["files"][0]["path"], "service.py");

    assert_eq!(snapshot(dir.path()), before, "plan writes nothing");
}

#[test]
fn generated_and_skip_file_files_are_skipped_and_counted() {
    let dir = service_tree();
    write(
        dir.path(),
        "gen.py",
        block_file("# This file is @generated by a tool.\n", "gen_user"),
    );
    write(
        dir.path(),
        "legacy.py",
        block_file("", "legacy_user") + "\n# codemod: skip-file\n",
    );
    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);
    let skipped = doc["summary"]["skipped"].as_array().unwrap();
    let mut paths: Vec<&str> = skipped
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, ["gen.py", "legacy.py"], "{doc:#}");
    for s in skipped {
        assert!(s["reason"].as_str().is_some_and(|r| !r.is_empty()), "{s}");
    }
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["service.py"]);

    let out = codemod(dir.path(), &["plan"]);
    assert!(
        stdout(&out).contains("files skipped:  2"),
        "{}",
        stdout(&out)
    );

    let gen_before = read(dir.path(), "gen.py");
    let legacy_before = read(dir.path(), "legacy.py");
    let out = codemod(dir.path(), &["apply", "--all", "."]);
    assert_code(&out, 0);
    assert_eq!(read(dir.path(), "gen.py"), gen_before);
    assert_eq!(read(dir.path(), "legacy.py"), legacy_before);
    assert_ne!(read(dir.path(), "service.py"), SERVICE_PY);
}

// ---------------------------------------------------------------------------------------
// apply

#[test]
fn apply_writes_the_safe_rewrite_and_is_idempotent() {
    let dir = service_tree();
    let out = codemod(dir.path(), &["apply", "service.py"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("+++ b/service.py"),
        "prints the diff it applied"
    );
    let new = read(dir.path(), "service.py");
    assert!(new.contains("with get_db_session() as session:"), "{new}");
    assert!(!new.contains("session.close()"), "{new}");
    assert_eq!(
        read(dir.path(), "db.py"),
        DB_PY,
        "only the named file is written"
    );

    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    assert_eq!(
        json(&out)["summary"]["files_changed"],
        0,
        "nothing left to do"
    );
}

#[test]
fn apply_refuses_a_directory_without_all() {
    let dir = service_tree();
    let before = snapshot(dir.path());
    let out = codemod(dir.path(), &["apply", "."]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("is a directory"), "{err}");
    assert!(err.contains("--all"), "{err}");
    assert_eq!(snapshot(dir.path()), before);

    // A folder named like a Python file is still a folder.
    std::fs::create_dir(dir.path().join("broken.py")).unwrap();
    let out = codemod(dir.path(), &["apply", "service.py", "broken.py"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("broken.py"), "{}", stderr(&out));
    assert_eq!(snapshot(dir.path()), before, "nothing written when refused");

    let out = codemod(dir.path(), &["apply", "--all", "."]);
    assert_code(&out, 0);
    assert!(read(dir.path(), "service.py").contains("with get_db_session() as session:"));
}

#[test]
fn apply_leaves_broken_files_untouched_and_exits_1() {
    let dir = service_tree();
    write(
        dir.path(),
        "bad_syntax.py",
        "from db import SessionLocal\n\ndef broken(:\n    session = SessionLocal()\n",
    );
    write(
        dir.path(),
        "latin1.py",
        b"from db import SessionLocal\nname = '\xe9'\n",
    );
    let mut args = vec!["apply", "bad_syntax.py", "latin1.py", "service.py"];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("missing.py"), dir.path().join("gone.py"))
            .unwrap();
        args.push("gone.py");
    }
    let bad_before = std::fs::read(dir.path().join("bad_syntax.py")).unwrap();
    let latin_before = std::fs::read(dir.path().join("latin1.py")).unwrap();

    let out = codemod(dir.path(), &args);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("bad_syntax.py:3:"), "{err}");
    assert!(err.contains("latin1.py:2:"), "{err}");
    #[cfg(unix)]
    assert!(
        err.lines()
            .any(|l| l.contains("gone.py") && l.contains("cannot read")),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("bad_syntax.py")).unwrap(),
        bad_before
    );
    assert_eq!(
        std::fs::read(dir.path().join("latin1.py")).unwrap(),
        latin_before
    );
    // The good file is still rewritten.
    assert!(read(dir.path(), "service.py").contains("with get_db_session() as session:"));
}

// ---------------------------------------------------------------------------------------
// usage and config errors

#[test]
fn usage_and_config_errors_exit_2_naming_the_path() {
    let dir = service_tree();
    let out = codemod(dir.path(), &["plan", "--no-such-flag"]);
    assert_code(&out, 2);

    let out = codemod(dir.path(), &["plan", "nowhere.py"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("nowhere.py"), "{}", stderr(&out));

    let out = codemod(dir.path(), &["apply"]);
    assert_code(&out, 2);

    let out = codemod(dir.path(), &["plan", "--config", "missing.toml"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));

    write(dir.path(), "codemod.toml", "gaurd = \"get_db_session()\"\n");
    let out = codemod(dir.path(), &["plan"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("codemod.toml") && err.contains("gaurd"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn config_exclude_drops_files() {
    let dir = service_tree();
    write(dir.path(), "codemod.toml", "exclude = [\"legacy\"]\n");
    write(dir.path(), "legacy/old.py", block_file("", "old_user"));
    let out = codemod(dir.path(), &["plan", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["service.py"], "{doc:#}");
    assert_eq!(doc["summary"]["files_scanned"], 2);
    // The run names the config it used, in JSON and in the text summary.
    assert_eq!(doc["summary"]["config"], "codemod.toml", "{doc:#}");
    let text = stdout(&codemod(dir.path(), &["plan"]));
    assert!(text.contains("  config:         codemod.toml\n"), "{text}");
}

// ---------------------------------------------------------------------------------------
// guard

#[test]
fn guard_reports_the_discovered_guard() {
    let dir = service_tree();
    let out = codemod(dir.path(), &["guard"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("sync guard: get_db_session()"), "{text}");
    assert!(text.contains("found in:  db.py:"), "{text}");
    assert!(
        text.contains("commits on success, rolls back on Exception, always closes"),
        "{text}"
    );

    let out = codemod(dir.path(), &["guard", "--format", "json"]);
    assert_code(&out, 0);
    let doc = json(&out);
    assert_eq!(doc["sync"]["expr"], "get_db_session()", "{doc:#}");
    assert_eq!(doc["sync"]["source"]["source"], "discovered", "{doc:#}");
    assert!(doc["notes"].is_array());
}

#[test]
fn guard_suggest_prints_a_module() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pyproject.toml", "[project]\nname = \"svc\"\n");
    write(
        dir.path(),
        "db.py",
        "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n",
    );
    let out = codemod(dir.path(), &["guard", "--suggest"]);
    assert_code(&out, 0);
    let module = stdout(&out);
    assert!(module.contains("SessionLocal"), "{module}");
    assert!(module.contains("contextmanager"), "{module}");
}

#[test]
fn version_names_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = codemod(dir.path(), &["--version"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    let expected = format!("codemod {}", env!("CARGO_PKG_VERSION"));
    // `codemod 0.1.0`, or `codemod 0.1.0 (abc1234 2026-12-04)` when built in a checkout.
    let line = text.trim_end();
    assert!(
        line == expected || (line.starts_with(&format!("{expected} (")) && line.ends_with(')')),
        "{text}"
    );
}

#[test]
fn completions_of_each_shell_name_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = codemod(dir.path(), &["completions", shell]);
        assert_code(&out, 0);
        let script = stdout(&out);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for sub in ["plan", "audit", "migrate"] {
            assert!(script.contains(sub), "{shell}: no `{sub}` in\n{script}");
        }
    }
    let out = codemod(dir.path(), &["completions", "no-such-shell"]);
    assert_code(&out, 2);
}
