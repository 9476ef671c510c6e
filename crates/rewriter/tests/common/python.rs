//! The Python the tests run code with: `CODEMOD_PYTHON`, else `.venv-test/bin/python` at
//! the repository root, made from `harness/requirements.txt` on first use. Shared by the
//! equivalence harness and the CLI's import checks
//! (`#[path = "../../rewriter/tests/common/python.rs"]` in crates/codemod/tests).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (both crates that include this file sit two folders below it).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const PYTHON_CHECK: &str = "import sqlalchemy, aiosqlite, greenlet; \
     assert sqlalchemy.__version__ == '2.0.36', sqlalchemy.__version__";

/// The Python to run the harness with, or why there is none.
pub fn find_python() -> Result<PathBuf, String> {
    let (python, from_env) = match std::env::var_os("CODEMOD_PYTHON") {
        Some(p) => (PathBuf::from(p), true),
        None => (repo_root().join(".venv-test/bin/python"), false),
    };
    if !from_env {
        // The tests of this file run as threads of one process: one of them makes it.
        static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = MAKING.lock().unwrap_or_else(|e| e.into_inner());
        if !python.exists() {
            create_venv()?;
        }
    }
    let out = Command::new(&python)
        .args(["-c", PYTHON_CHECK])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} lacks the pinned packages of harness/requirements.txt: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(python)
}

/// A fresh machine has no `.venv-test`: make it (`python3 -m venv`, then the pinned
/// packages), so `cargo test --workspace` runs the harness instead of skipping it. Built
/// beside it and renamed into place, so another process running the tests never sees half
/// a venv.
fn create_venv() -> Result<(), String> {
    let target = repo_root().join(".venv-test");
    let building = repo_root().join(format!(".venv-test.tmp-{}", std::process::id()));
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    let how = "the equivalence harness needs Python 3 with the packages of \
               harness/requirements.txt: `python3 -m venv .venv-test && \
               .venv-test/bin/pip install -r harness/requirements.txt`, or set CODEMOD_PYTHON";
    eprintln!("equivalence: creating .venv-test (python3 -m venv, pip install -r harness/requirements.txt)");
    let made = run(
        Command::new("python3").arg("-m").arg("venv").arg(&building),
        "python3 -m venv",
    )
    .and_then(|()| {
        run(
            Command::new(building.join("bin/python"))
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(repo_root().join("harness/requirements.txt")),
            "pip install -r harness/requirements.txt",
        )
    });
    if let Err(why) = made {
        let _ = std::fs::remove_dir_all(&building);
        return Err(format!("{why}\n{how}"));
    }
    if std::fs::rename(&building, &target).is_err() {
        // Another process made it first.
        let _ = std::fs::remove_dir_all(&building);
    }
    Ok(())
}

/// The Python, or `None` after a loud skip message; panics when `CI` or `CODEMOD_PYTHON`
/// is set and there is no usable one.
pub fn python_or_skip(what: &str) -> Option<PathBuf> {
    match find_python() {
        Ok(p) => Some(p),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{what} cannot run in CI: {why}")
        }
        Err(why) if std::env::var_os("CODEMOD_PYTHON").is_some() => {
            panic!("{what}: CODEMOD_PYTHON is set but unusable: {why}")
        }
        Err(why) => {
            eprintln!("\n!!!!!!!! SKIPPED: {what} did not run.\n{why}\n");
            None
        }
    }
}
