//! `.rs` files through the CLI (testdata/rust): `plan`, `apply`, `audit` and `report` on
//! Rust crates and on a tree mixing Python and Rust, with the same outputs as for Python.
//! Each case's plan is snapshotted; the assertions say what each case proves.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::copy_tree;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rust")
        .join(name)
}

/// A copy of the case in a temp dir (the tests write into it).
fn copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap().join(name);
    copy_tree(&case(name), &root);
    (tmp, root)
}

fn codemod(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_codemod"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", stdout(o), stderr(o)))
}

/// Apply every safe and review rewrite, then plan again: nothing is left to rewrite.
fn assert_apply_is_idempotent(root: &Path) {
    let applied = codemod(root, &["apply", "--all", "--include-review", "."]);
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let again = json(&codemod(root, &["plan", "--format", "json"]));
    let rewrites: usize = again["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rewrites"].as_array().unwrap())
        .filter(|r| r["safety"] != "manual")
        .count();
    assert_eq!(rewrites, 0, "{again:#}");
}

#[test]
fn a_mixed_tree_plans_each_file_by_its_language() {
    let dir = case("mixed_python_and_rust_tree");
    let plan = codemod(&dir, &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("mixed_python_and_rust_tree", stdout(&plan));
    let doc = json(&codemod(&dir, &["plan", "--format", "json"]));
    let kinds = doc["summary"]["blocks_by_kind"].as_object().unwrap();
    // Both languages' kinds are listed, each counted once.
    assert_eq!(kinds.len(), 12, "{kinds:?}");
    assert_eq!(kinds["manual-lifecycle"], 1);
    assert_eq!(kinds["manual-transaction"], 1);
    let (_tmp, root) = copy("mixed_python_and_rust_tree");
    assert_apply_is_idempotent(&root);
    let rust = std::fs::read_to_string(root.join("ledger/src/lib.rs")).unwrap();
    assert!(!rust.contains("rollback"), "{rust}");
    let python = std::fs::read_to_string(root.join("billing/invoices.py")).unwrap();
    assert!(
        python.contains("with session_scope() as session:"),
        "{python}"
    );
}

#[test]
fn a_rust_only_run_lists_rust_kinds_and_reads_no_python() {
    let dir = case("crate_test_folders_are_test_code");
    let plan = codemod(&dir, &["plan"]);
    insta::assert_snapshot!("crate_test_folders_are_test_code", stdout(&plan));
    // The crate's manifest marks the project root: nothing above it is indexed.
    assert_eq!(stderr(&plan), "", "nothing outside the crate is read");
    let doc = json(&codemod(&dir, &["plan", "--format", "json"]));
    let kinds: Vec<&String> = doc["summary"]["blocks_by_kind"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        kinds,
        [
            "double-management",
            "manual-transaction",
            "raw-sql-transaction",
            "redundant-rollback",
            "uncommitted-transaction"
        ]
    );
}

#[test]
fn tests_examples_and_benches_of_a_crate_are_test_code() {
    let dir = case("crate_test_folders_are_test_code");
    let test_files = [
        "tests/archive.rs",
        "examples/archive_demo.rs",
        "benches/archive_bench.rs",
    ];
    let all = stdout(&codemod(&dir, &["audit"]));
    for test_file in test_files {
        assert!(all.contains(&format!("{test_file} [test]")), "{all}");
    }
    assert!(!all.contains("src/lib.rs [test]"), "{all}");
    let production = stdout(&codemod(&dir, &["audit", "--production-only"]));
    assert!(production.contains("src/lib.rs"), "{production}");
    assert!(production.contains("3 not production"), "{production}");
    for test_file in test_files {
        assert!(!production.contains(test_file), "{production}");
    }
    let (_tmp, root) = copy("crate_test_folders_are_test_code");
    assert_apply_is_idempotent(&root);
}

#[test]
fn suppression_comments_and_skip_markers_use_rust_comments() {
    let dir = case("suppressed_and_skipped_files");
    let plan = codemod(&dir, &["plan"]);
    insta::assert_snapshot!("suppressed_and_skipped_files", stdout(&plan));
    let audit = stdout(&codemod(&dir, &["audit"]));
    assert!(audit.contains("1 suppressed inline"), "{audit}");
    assert!(audit.contains("`COMMIT` is sent as SQL text"), "{audit}");
    assert!(!audit.contains("`BEGIN` is sent as SQL text"), "{audit}");
    let out = stdout(&plan);
    assert!(
        out.contains("src/legacy.rs: `// codemod: skip-file`"),
        "{out}"
    );
    assert!(out.contains("src/schema.rs: generated"), "{out}");
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_the_rest_is_written() {
    let (_tmp, root) = copy("unparsable_file_does_not_stop_the_run");
    let plan = codemod(&root, &["plan"]);
    insta::assert_snapshot!("unparsable_file_does_not_stop_the_run", stdout(&plan));
    assert!(
        stderr(&plan).contains("error: src/broken.rs:5: syntax error at column 43"),
        "{}",
        stderr(&plan)
    );
    let broken_before = std::fs::read(root.join("src/broken.rs")).unwrap();
    let apply = codemod(&root, &["apply", "--all", "."]);
    assert_eq!(apply.status.code(), Some(1), "{}", stderr(&apply));
    assert_eq!(
        std::fs::read(root.join("src/broken.rs")).unwrap(),
        broken_before
    );
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(!lib.contains("rollback"), "{lib}");
}

#[test]
fn report_and_sarif_list_rust_rules() {
    let dir = case("mixed_python_and_rust_tree");
    let sarif = json(&codemod(&dir, &["audit", "--format", "sarif"]));
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 12, "{rules:?}");
    assert!(rules.contains(&"RS001") && rules.contains(&"SES001"));
    let report = stdout(&codemod(&dir, &["report"]));
    assert!(report.contains("| manual-transaction | 1 |"), "{report}");
    assert!(report.contains("| manual-lifecycle | 1 |"), "{report}");
}

#[test]
fn config_in_cargo_metadata_is_inherited_from_the_workspace() {
    let dir = case("config_in_cargo_metadata");
    let plan = codemod(&dir, &["plan", "jobs"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("config_in_cargo_metadata", stdout(&plan));
    let out = stdout(&plan);
    // The member has no section: the workspace's applies, its globs relative to the root.
    assert!(out.contains("config:         Cargo.toml\n"), "{out}");
    assert!(
        out.contains("jobs/src/lib.rs:9:5 manual-transaction"),
        "{out}"
    );
    assert!(!out.contains("vendored"), "{out}");
    // Planned from inside the member, the same config applies.
    let inside = stdout(&codemod(&dir.join("jobs"), &["plan"]));
    assert!(!inside.contains("vendored"), "{inside}");
    // Without the section, the vendored copy would be rewritten too.
    let (_tmp, root) = copy("config_in_cargo_metadata");
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"jobs\"]\n",
    )
    .unwrap();
    let without = stdout(&codemod(&root, &["plan", "jobs"]));
    assert!(
        without.contains("jobs/src/vendored/mod.rs:6:5"),
        "{without}"
    );
}
