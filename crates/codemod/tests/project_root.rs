//! `codemod apply FILE` and `apply --patch` on a file whose factory and guard live in another
//! file of the project (testdata/cases/apply_file_factory_in_other_file): the whole project
//! is indexed, whichever marker (`pyproject.toml`, `setup.cfg`, `setup.py`, `.git`) makes its
//! root, so the block is rewritten and a patch planned for it is accepted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{copy_tree, write};

const TARGET: &str = "app/jobs/cleanup.py";
const REWRITTEN: &str = "    with get_db_session() as session:\n";
const IMPORT: &str = "from app.db import AuditLog, get_db_session\n";

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cases/apply_file_factory_in_other_file")
}

/// A copy of the case in a temp dir whose root is marked by `marker` only (`None`: no marker
/// at all). The copy sits one folder down, so the temp dir itself is not the project.
fn project(marker: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap().join("proj");
    copy_tree(&case_dir(), &root);
    std::fs::remove_file(root.join("pyproject.toml")).unwrap();
    match marker {
        Some(".git") => std::fs::create_dir(root.join(".git")).unwrap(),
        Some("pyproject.toml") => write(
            &root,
            "pyproject.toml",
            std::fs::read(case_dir().join("pyproject.toml")).unwrap(),
        ),
        Some("setup.py") => write(
            &root,
            "setup.py",
            "from setuptools import find_packages, setup\n\nsetup(name=\"audit-jobs\", packages=find_packages())\n",
        ),
        Some(other) => write(&root, other, "[metadata]\nname = audit-jobs\n"),
        None => {}
    }
    (tmp, root)
}

fn codemod(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the binary runs")
}

#[track_caller]
fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[track_caller]
fn assert_rewritten(root: &Path, what: &str) {
    let text = std::fs::read_to_string(root.join(TARGET)).unwrap();
    assert!(
        text.contains(REWRITTEN) && text.contains(IMPORT) && !text.contains("SessionLocal"),
        "{what}: {TARGET} was not rewritten into the guard of app/db.py:\n{text}"
    );
}

const MARKERS: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py", ".git"];

#[test]
fn apply_file_indexes_the_project_of_the_file() {
    for marker in MARKERS {
        let (_tmp, root) = project(Some(marker));
        let o = codemod(&root, &["apply", TARGET]);
        assert_ok(&o, &format!("{marker}: apply {TARGET}"));
        assert_rewritten(&root, &format!("{marker}: apply {TARGET}"));
    }
}

#[test]
fn apply_file_from_another_folder_indexes_the_project_of_the_file() {
    for marker in MARKERS {
        let (tmp, root) = project(Some(marker));
        let file = root.join(TARGET);
        let o = codemod(tmp.path(), &["apply", file.to_str().unwrap()]);
        assert_ok(&o, &format!("{marker}: apply /abs/{TARGET} from outside"));
        assert_rewritten(
            &root,
            &format!("{marker}: apply /abs/{TARGET} from outside"),
        );
    }
}

/// `plan ARGS --patch-dir P` in the project, then `apply --patch P/<file>.patch` there.
fn plan_then_apply_patch(root: &Path, plan_args: &[&str], what: &str) {
    let patches = root.join(".patches");
    let mut args = vec!["plan"];
    args.extend_from_slice(plan_args);
    args.extend(["--patch-dir", patches.to_str().unwrap()]);
    let o = codemod(root, &args);
    assert_ok(&o, &format!("{what}: plan"));
    let patch = patches.join("app__jobs__cleanup.py.patch");
    assert!(
        patch.is_file(),
        "{what}: plan wrote no patch for {TARGET}\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = codemod(root, &["apply", "--patch", patch.to_str().unwrap()]);
    assert_ok(&o, &format!("{what}: apply --patch"));
    assert_rewritten(root, &format!("{what}: apply --patch"));
}

#[test]
fn apply_patch_of_a_file_planned_alone() {
    for marker in MARKERS {
        let (_tmp, root) = project(Some(marker));
        plan_then_apply_patch(&root, &[TARGET], &format!("{marker}: plan {TARGET}"));
    }
}

#[test]
fn apply_patch_of_a_file_planned_with_its_tree() {
    for marker in MARKERS {
        let (_tmp, root) = project(Some(marker));
        plan_then_apply_patch(&root, &["."], &format!("{marker}: plan ."));
    }
    // No marker at all: `plan .` indexed the current folder; `apply --patch` run there
    // (as documented) must re-plan against the same tree.
    let (_tmp, root) = project(None);
    plan_then_apply_patch(&root, &["."], "no marker: plan .");
}
