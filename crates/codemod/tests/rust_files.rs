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
fn a_cfg_test_module_is_test_code_in_a_production_file() {
    let dir = case("cfg_test_module_is_test_code");
    let all = stdout(&codemod(&dir, &["audit"]));
    // The test module's finding is listed with test code, the other with production.
    assert!(all.contains("src/lib.rs [test]\n    19:"), "{all}");
    assert!(all.contains("src/lib.rs\n    6:"), "{all}");
    let production = stdout(&codemod(&dir, &["audit", "--production-only"]));
    assert!(production.contains("    6:"), "{production}");
    assert!(!production.contains("    19:"), "{production}");
    assert!(production.contains("1 not production"), "{production}");
    let (_tmp, root) = copy("cfg_test_module_is_test_code");
    assert_apply_is_idempotent(&root);
    let text = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(!text.contains("rollback"), "{text}");
}

#[test]
fn a_transaction_type_of_another_file_is_known_through_the_rust_pass_1() {
    let dir = case("transaction_type_defined_in_another_file");
    let plan = codemod(&dir, &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("transaction_type_defined_in_another_file", stdout(&plan));
    // `jobs.rs` sees `AppTx` (db.rs) and `begin_transaction` (store.rs) through the
    // run's pass 1: drop rolls back, so the rollback goes.
    let out = stdout(&plan);
    assert!(
        out.contains("src/jobs.rs:8:5 manual-transaction [safe]")
            && out.contains("defined in another file"),
        "{out}"
    );
    let (_tmp, root) = copy("transaction_type_defined_in_another_file");
    assert_apply_is_idempotent(&root);
    let jobs = std::fs::read_to_string(root.join("src/jobs.rs")).unwrap();
    assert!(!jobs.contains("rollback"), "{jobs}");
}

#[test]
fn a_project_closure_helper_is_the_guard() {
    let dir = case("project_closure_helper_is_the_guard");
    let plan = codemod(&dir, &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("project_closure_helper_is_the_guard", stdout(&plan));
    let doc = json(&codemod(&dir, &["plan", "--format", "json"]));
    let rewrites: Vec<(String, String)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["rewrites"].as_array().unwrap().clone())
        .map(|r| {
            (
                r["safety"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let into_helper =
        |(_, reason): &&(String, String)| reason.starts_with("rewritten into a call of `with_tx`");
    // open_account and transfer in lib.rs, and reports.rs, which knows the helper of
    // lib.rs through the run's pass 1.
    assert_eq!(
        rewrites.iter().filter(into_helper).count(),
        3,
        "{rewrites:?}"
    );
    assert!(rewrites
        .iter()
        .filter(into_helper)
        .all(|(safety, _)| safety == "review"));
    // balances keeps the drop form; the helper is no finding.
    assert_eq!(rewrites.len(), 4, "{rewrites:?}");
    let (_tmp, root) = copy("project_closure_helper_is_the_guard");
    assert_apply_is_idempotent(&root);
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(lib.contains("    let id = with_tx(conn, |tx| {\n"), "{lib}");
    assert_eq!(
        lib.matches("rollback").count(),
        1,
        "only the helper's: {lib}"
    );
    let reports = std::fs::read_to_string(root.join("src/reports.rs")).unwrap();
    assert!(reports.contains("    with_tx(conn, |tx| {\n"), "{reports}");
}

#[test]
fn a_tie_between_closure_helpers_keeps_the_drop_form() {
    let dir = case("closure_helper_tie_keeps_the_drop_form");
    let plan = codemod(&dir, &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!("closure_helper_tie_keeps_the_drop_form", stdout(&plan));
    let out = stdout(&plan);
    assert!(
        out.contains(
            "manual-transaction [safe] the explicit rollback on the error path is removed"
        ),
        "{out}"
    );
    assert!(!out.contains("rewritten into a call of"), "{out}");
    let (_tmp, root) = copy("closure_helper_tie_keeps_the_drop_form");
    assert_apply_is_idempotent(&root);
}

#[test]
fn a_diesel_raw_sql_block_becomes_the_closure_api() {
    let dir = case("diesel_raw_sql_block_becomes_the_closure_api");
    let plan = codemod(&dir, &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    insta::assert_snapshot!(
        "diesel_raw_sql_block_becomes_the_closure_api",
        stdout(&plan)
    );
    let out = stdout(&plan);
    // signup and claim_jobs are one review finding each; purge's BEGIN and COMMIT stay.
    assert_eq!(
        out.matches("raw-sql-transaction [review]").count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("raw-sql-transaction [manual]").count(),
        2,
        "{out}"
    );
    let (_tmp, root) = copy("diesel_raw_sql_block_becomes_the_closure_api");
    assert_apply_is_idempotent(&root);
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("conn.immediate_transaction::<_, AppError, _>(|conn| {"),
        "{lib}"
    );
    assert!(!lib.contains("ROLLBACK"), "{lib}");
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
