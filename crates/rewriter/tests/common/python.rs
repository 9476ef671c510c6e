//! The Python the tests run code with: `CODEMOD_PYTHON`, else `.venv-test/bin/python` at
//! the repository root, made from `harness/requirements.txt` on first use (SQLAlchemy
//! 2.0). The equivalence harness also runs under 1.3 and 1.4: `SQLALCHEMY_VENVS`, each a
//! venv of its own made the same way. Shared by the equivalence harness and the CLI's
//! import checks (`#[path = "../../rewriter/tests/common/python.rs"]` in crates/codemod/tests).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (both crates that include this file sit two folders below it).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One pinned SQLAlchemy the harness runs under.
pub struct SqlaVenv {
    /// Release number, as `analyzer::sqla_version::Version` reads it.
    pub version: (u32, u32, u32),
    /// Folder at the repository root.
    pub venv: &'static str,
    /// Pinned requirements, relative to the repository root.
    pub requirements: &'static str,
    /// Environment variable naming a Python to use instead.
    pub env: &'static str,
    /// What the Python must import.
    pub check: &'static str,
}

/// Oldest first; the last is the one `find_python` gives.
pub const SQLALCHEMY_VENVS: &[SqlaVenv] = &[
    SqlaVenv {
        version: (1, 3, 24),
        venv: ".venv-test-sqla13",
        requirements: "harness/requirements-sqla13.txt",
        env: "CODEMOD_PYTHON_SQLA13",
        check:
            "import sqlalchemy; assert sqlalchemy.__version__ == '1.3.24', sqlalchemy.__version__",
    },
    SqlaVenv {
        version: (1, 4, 54),
        venv: ".venv-test-sqla14",
        requirements: "harness/requirements-sqla14.txt",
        env: "CODEMOD_PYTHON_SQLA14",
        check: "import sqlalchemy, aiosqlite, greenlet; \
                assert sqlalchemy.__version__ == '1.4.54', sqlalchemy.__version__",
    },
    SqlaVenv {
        version: (2, 0, 36),
        venv: ".venv-test",
        requirements: "harness/requirements.txt",
        env: "CODEMOD_PYTHON",
        check: "import sqlalchemy, aiosqlite, greenlet; \
                assert sqlalchemy.__version__ == '2.0.36', sqlalchemy.__version__",
    },
];

impl SqlaVenv {
    pub fn label(&self) -> String {
        let (a, b, c) = self.version;
        format!("SQLAlchemy {a}.{b}.{c}")
    }
}

/// The Python to run the harness with (SQLAlchemy 2.0), or why there is none.
pub fn find_python() -> Result<PathBuf, String> {
    find_python_for(SQLALCHEMY_VENVS.last().expect("a venv"))
}

/// The Python of one pinned SQLAlchemy, made on first use, or why there is none.
pub fn find_python_for(v: &SqlaVenv) -> Result<PathBuf, String> {
    let (python, from_env) = match std::env::var_os(v.env) {
        Some(p) => (PathBuf::from(p), true),
        None => (repo_root().join(v.venv).join("bin/python"), false),
    };
    if !from_env {
        // The tests of this file run as threads of one process: one of them makes it.
        static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = MAKING.lock().unwrap_or_else(|e| e.into_inner());
        if !python.exists() {
            create_venv(v)?;
        }
    }
    let out = Command::new(&python)
        .args(["-c", v.check])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} lacks the pinned packages of {}: {}",
            python.display(),
            v.requirements,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(python)
}

/// A fresh machine has no `.venv-test`: make it (`python3 -m venv`, then the pinned
/// packages), so `cargo test --workspace` runs the harness instead of skipping it. Built
/// beside it and renamed into place, so another process running the tests never sees half
/// a venv.
fn create_venv(v: &SqlaVenv) -> Result<(), String> {
    let target = repo_root().join(v.venv);
    let building = repo_root().join(format!("{}.tmp-{}", v.venv, std::process::id()));
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
    let how = format!(
        "the equivalence harness needs Python 3 with the packages of {req}: `python3 -m venv \
         {venv} && {venv}/bin/pip install -r {req}`, or set {env}",
        req = v.requirements,
        venv = v.venv,
        env = v.env
    );
    eprintln!(
        "equivalence: creating {} (python3 -m venv, pip install -r {})",
        v.venv, v.requirements
    );
    let made = run(
        Command::new("python3").arg("-m").arg("venv").arg(&building),
        "python3 -m venv",
    )
    .and_then(|()| {
        run(
            Command::new(building.join("bin/python"))
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(repo_root().join(v.requirements)),
            "pip install -r",
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
