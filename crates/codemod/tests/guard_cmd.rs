//! `codemod guard`: the guard list, `--suggest` and `--suggest --write FILE` on the
//! `suggest_dependency_only_with_test_factory` case (a generator dependency only, plus a
//! test factory used more than anything).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn codemod(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the binary runs")
}

#[track_caller]
fn ok(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "--- stdout\n{out}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// The case, copied to a temp dir (the root: it has a `pyproject.toml`).
fn case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("testdata/cases/suggest_dependency_only_with_test_factory");
    copy_dir(&src, dir.path());
    dir
}

/// `CODEMOD_PYTHON`, else `.venv-test/bin/python` at the repository root (made by the
/// equivalence tests), with SQLAlchemy importable.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("CODEMOD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv-test/bin/python"));
    let works = Command::new(&python)
        .args(["-c", "import sqlalchemy"])
        .output()
        .is_ok_and(|o| o.status.success());
    works.then_some(python)
}

#[test]
fn suggest_is_built_on_the_production_dependency_not_the_test_factory() {
    let dir = case();
    let out = codemod(dir.path(), &["guard", "--suggest"]);
    let module = ok(&out);
    assert!(!module.contains("TestingSessionLocal"), "{module}");
    assert!(!module.contains("test_supplier_config_api"), "{module}");
    assert!(module.contains("session = Session(engine)"), "{module}");
    assert!(
        module.contains("from sqlalchemy.orm import Session"),
        "{module}"
    );
    assert!(
        module.contains("from app.database import engine"),
        "{module}"
    );
    assert!(module.contains("next to app/database.py"), "{module}");
    let notes = String::from_utf8_lossy(&out.stderr);
    assert!(notes.contains("`TestingSessionLocal`"), "{notes}");
}

#[test]
fn write_makes_an_importable_guard_that_plan_then_uses() {
    let dir = case();
    let out = codemod(
        dir.path(),
        &["guard", "--suggest", "--write", "app/db_guard.py"],
    );
    let text = ok(&out);
    assert!(text.contains("wrote app/db_guard.py"), "{text}");
    assert!(text.contains("no config needed"), "{text}");
    let written = std::fs::read_to_string(dir.path().join("app/db_guard.py")).unwrap();
    ruff_python_parser::parse_module(&written).expect("the written module parses");
    assert!(!written.contains("TestingSessionLocal"), "{written}");

    // Writing again refuses, exit 2, the file untouched.
    let again = codemod(
        dir.path(),
        &["guard", "--suggest", "--write", "app/db_guard.py"],
    );
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/db_guard.py")).unwrap(),
        written
    );

    // The next plan, with no config, rewrites the `next(get_session())` blocks into it.
    let plan = ok(&codemod(dir.path(), &["plan"]));
    for block in [
        "app/services/stock.py:6:5 manual-lifecycle [safe]",
        "app/services/suppliers.py:6:5 manual-lifecycle [safe]",
        "app/services/suppliers.py:18:5 manual-lifecycle [safe]",
    ] {
        assert!(plan.contains(block), "{block}\n{plan}");
    }
    assert!(
        plan.contains("+from app.db_guard import get_db_session"),
        "{plan}"
    );
    assert!(
        plan.contains("+    with get_db_session() as session:"),
        "{plan}"
    );

    let Some(python) = python() else {
        eprintln!(
            "SKIPPED: the written guard was not imported under Python: no CODEMOD_PYTHON and \
             no .venv-test with SQLAlchemy at the repository root (the equivalence tests make it)"
        );
        return;
    };
    let run = Command::new(python)
        .args([
            "-c",
            "from app.db_guard import get_db_session\n\
             with get_db_session() as s:\n    assert s.bind is not None\nprint('ok')",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success() && String::from_utf8_lossy(&run.stdout).contains("ok"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn guard_lists_every_guard_with_its_target_in_text_and_json() {
    let dir = case();
    ok(&codemod(
        dir.path(),
        &["guard", "--write", "app/db_guard.py"],
    ));
    let text = ok(&codemod(dir.path(), &["guard"]));
    assert!(text.contains("guards in the tree: 1"), "{text}");
    assert!(text.contains("get_db_session()  <- sync target"), "{text}");
    assert!(text.contains("defined:   app/db_guard.py:"), "{text}");

    let out = ok(&codemod(dir.path(), &["guard", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["sync"]["uses"], 0, "{doc:#}");
    let guards = doc["guards"].as_array().unwrap();
    assert_eq!(guards.len(), 1, "{doc:#}");
    let g = &guards[0];
    for key in [
        "expr",
        "import",
        "path",
        "line",
        "shape",
        "is_async",
        "lifecycle",
        "lifecycle_description",
        "production_uses",
        "test_uses",
        "file_class",
        "target",
    ] {
        assert!(g.get(key).is_some(), "{key} missing: {g:#}");
    }
    assert_eq!(g["expr"], "get_db_session()");
    assert_eq!(g["import"], "from app.db_guard import get_db_session");
    assert_eq!(g["path"], "app/db_guard.py");
    assert_eq!(g["shape"], "context-manager");
    assert_eq!(g["file_class"], "production");
    assert_eq!(g["target"], "sync");
}

#[test]
fn write_prints_the_config_lines_when_discovery_would_pick_another_guard() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "pyproject.toml", "[project]\nname = \"svc\"\n");
    common::write(dir.path(), "db.py", common::DB_PY);
    common::write(dir.path(), "service.py", common::SERVICE_PY);
    let text = ok(&codemod(dir.path(), &["guard", "--write", "guard2.py"]));
    assert!(
        text.contains("discovery does not pick get_db_session()"),
        "{text}"
    );
    assert!(
        text.contains("guard-import = \"from guard2 import get_db_session\""),
        "{text}"
    );
}

/// `guard --format json` on a copy of the testdata case `name`: its one listed guard.
fn only_guard(name: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("testdata/cases").join(name), dir.path());
    let out = ok(&codemod(dir.path(), &["guard", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let guards = doc["guards"].as_array().unwrap();
    assert_eq!(guards.len(), 1, "{doc:#}");
    guards[0].clone()
}

#[test]
fn a_guard_under_conditions_is_read_at_its_parameter_defaults() {
    let g = only_guard("guard_lifecycle_at_parameter_defaults");
    // Neither hass nor session: no session, so the plain call is never the target.
    assert_eq!(g["expr"], "session_scope(hass=self.hass)", "{g:#}");
    assert_eq!(g["target"], "sync", "{g:#}");
    assert_eq!(g["lifecycle"]["commits"], true, "{g:#}");
    // The rollback is under a flag set only before the commit: not for errors of the body.
    assert_eq!(g["lifecycle"]["rollback_on"], "never", "{g:#}");
    assert_eq!(g["lifecycle"]["reraises"], true, "{g:#}");
    assert_eq!(g["lifecycle"]["closes"], true, "{g:#}");
    assert_eq!(
        g["lifecycle_description"],
        "commits on success, never rolls back, always closes, when `exception_filter` and \
         `read_only` keep their defaults",
        "{g:#}"
    );
    assert_eq!(g["production_uses"], 5, "{g:#}");
}

#[test]
fn a_method_guard_whose_factory_a_method_annotated_sessionmaker_returns_is_found() {
    let g = only_guard("method_guard_factory_from_annotated_method");
    assert_eq!(g["expr"], "db_registry.session()", "{g:#}");
    assert_eq!(g["import"], "from agents.db import db_registry", "{g:#}");
    assert_eq!(g["target"], "sync", "{g:#}");
    assert_eq!(
        g["lifecycle_description"], "never commits, never rolls back, always closes",
        "{g:#}"
    );
    assert_eq!(g["production_uses"], 2, "{g:#}");
}
