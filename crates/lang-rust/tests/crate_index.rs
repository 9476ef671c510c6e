//! Pass 1 across files: a `CrateIndex` built from the facts of every file of a testdata
//! crate makes transaction types, begin methods and closure helpers of other files known
//! to the file analysed; ambiguous names stay unknown and the file's own definitions win.
//! The closure-helper rewrites of a crate are applied, re-analysed (nothing is left) and
//! compiled with `cargo check`.

#[allow(dead_code)]
#[path = "../../../harness/rust/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lang_rust::{
    analyze, analyze_in, apply_edits, collect_facts, may_define_facts, CrateIndex, Edition,
    Finding, Kind, Safety, TextEdit,
};

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rust")
        .join(name)
}

/// The `.rs` files under the case's `src/`, by path relative to it.
fn sources(name: &str) -> BTreeMap<PathBuf, String> {
    let src = case_dir(name).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(&src).unwrap().to_path_buf();
        out.insert(rel, std::fs::read_to_string(&path).unwrap());
    }
    out
}

fn index_of<'a>(texts: impl IntoIterator<Item = &'a String>) -> CrateIndex {
    CrateIndex::build(texts.into_iter().map(|t| collect_facts(t, Edition::E2021)))
}

fn manual_transactions(findings: &[Finding]) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| f.kind == Kind::ManualTransaction)
        .collect()
}

fn only_block(text: &str, index: &CrateIndex) -> Finding {
    let analysis = analyze_in(text, Edition::E2021, false, index);
    assert!(
        analysis.parse_errors.is_empty(),
        "{:?}",
        analysis.parse_errors
    );
    let found = manual_transactions(&analysis.findings);
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn a_transaction_type_of_another_file_gives_its_drop_behaviour() {
    let files = sources("transaction_type_defined_in_another_file");
    let jobs = &files[Path::new("jobs.rs")];
    let alone = only_block(jobs, &CrateIndex::default());
    assert_eq!(alone.safety, Safety::Manual);
    assert!(
        alone
            .reason
            .starts_with("`begin_transaction` is not defined in this file"),
        "{}",
        alone.reason
    );
    let index = index_of(files.values());
    let known = only_block(jobs, &index);
    assert_eq!(known.safety, Safety::Safe, "{}", known.reason);
    assert_eq!(known.reason, "the explicit rollback on the error path is removed; drop rolls back (`AppTx`, which wraps a driver transaction and has no Drop impl, defined in another file), and the rollback's error was already ignored");
    let after = apply_edits(jobs, &known.edits);
    assert!(!after.contains("rollback"), "{after}");
    let again = analyze_in(&after, Edition::E2021, false, &index);
    assert!(again.all_edits().is_empty(), "{:?}", again.findings);
}

#[test]
fn a_name_two_files_define_differently_is_unknown() {
    let files = sources("transaction_type_defined_in_another_file");
    let jobs = &files[Path::new("jobs.rs")];
    let other = "pub struct AppTx { id: u64 }\nimpl AppTx { pub fn commit(self) {} }\n".to_string();
    let index = index_of(files.values().chain([&other]));
    let f = only_block(jobs, &index);
    assert_eq!(f.safety, Safety::Manual);
    assert!(
        f.reason
            .starts_with("`AppTx` is defined in several files with different drop behaviour"),
        "{}",
        f.reason
    );
    let begins_twice =
        "impl Pool { pub fn begin_transaction(&self) -> Result<PoolTx, E> { todo!() } }\n"
            .to_string();
    let index = index_of(files.values().chain([&begins_twice]));
    let f = only_block(jobs, &index);
    assert_eq!(f.safety, Safety::Manual);
    assert!(
        f.reason.starts_with(
            "`begin_transaction` is defined in several files with different return types"
        ),
        "{}",
        f.reason
    );
}

#[test]
fn the_files_own_definitions_win_over_the_index() {
    let files = sources("transaction_type_defined_in_another_file");
    let index = index_of(files.values());
    // The file's own `AppTx` says nothing about rolling back: the index's is not used.
    let own = format!(
        "{}\npub struct AppTx {{ id: u64 }}\nimpl AppTx {{ pub fn commit(self) {{}} }}\n",
        files[Path::new("jobs.rs")]
    );
    let f = only_block(&own, &index);
    assert_eq!(f.safety, Safety::Manual);
    assert!(
        f.reason
            .starts_with("dropping `AppTx` is not known to roll back"),
        "{}",
        f.reason
    );
}

#[test]
fn only_files_with_transaction_words_are_parsed_in_pass_1() {
    let files = sources("transaction_type_defined_in_another_file");
    // (file, passes the prefilter, defines facts)
    for (name, prefilter, defines) in [
        ("db.rs", true, true),
        ("store.rs", true, true),
        ("jobs.rs", true, false),
        ("lib.rs", false, false),
    ] {
        let text = &files[Path::new(name)];
        assert_eq!(may_define_facts(text), prefilter, "{name}");
        assert_eq!(
            !collect_facts(text, Edition::E2021).is_empty(),
            defines,
            "{name}"
        );
    }
}

#[test]
fn an_imported_closure_helper_of_another_file_is_the_target() {
    let files = sources("project_closure_helper_is_the_guard");
    let reports = &files[Path::new("reports.rs")];
    let alone = only_block(reports, &CrateIndex::default());
    assert_eq!(alone.safety, Safety::Safe, "{}", alone.reason);
    let index = index_of(files.values());
    let f = only_block(reports, &index);
    assert_eq!(f.safety, Safety::Review);
    assert!(
        f.reason.starts_with("rewritten into a call of `with_tx`"),
        "{}",
        f.reason
    );
    let after = apply_edits(reports, &f.edits);
    assert!(
        after.contains(
            "pub fn close_month(conn: &mut Connection, month: &str) -> Result<()> {
    with_tx(conn, |tx| {
        if let Err(e) = tx.execute(\"INSERT INTO closed_months (month) VALUES (?1)\", [month]) {
            return Err(e);
        }
        tx.execute(
            \"UPDATE accounts SET frozen = 1 WHERE opened < ?1\",
            [month],
        )?;
        Ok(())
    })
}
"
        ),
        "{after}"
    );
    // Not imported: the helper's name does not resolve in the file, the drop form stays.
    let unimported = reports.replace("use crate::with_tx;\n", "");
    let f = only_block(&unimported, &index);
    assert_eq!(f.safety, Safety::Safe, "{}", f.reason);
}

#[test]
fn a_helper_two_files_define_differently_is_no_target() {
    let files = sources("project_closure_helper_is_the_guard");
    let reports = &files[Path::new("reports.rs")];
    // Another `with_tx` for the same connection that lets drop roll back.
    let other = "pub fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    let v = f(&tx)?;\n    tx.commit()?;\n    Ok(v)\n}\n".to_string();
    let index = index_of(files.values().chain([&other]));
    let f = only_block(reports, &index);
    assert_eq!(f.safety, Safety::Safe, "{}", f.reason);
    assert!(
        f.reason
            .starts_with("the explicit rollback on the error path is removed"),
        "{}",
        f.reason
    );
}

/// Apply every safe and review edit with the crate's index, round after round, until a
/// round plans nothing; returns the sources and the rounds that changed something.
fn rewrite_crate(mut files: BTreeMap<PathBuf, String>) -> (BTreeMap<PathBuf, String>, usize) {
    for round in 0..5 {
        let index = index_of(files.values());
        let mut changed = false;
        for text in files.values_mut() {
            let analysis = analyze_in(text, Edition::E2021, false, &index);
            assert!(
                analysis.parse_errors.is_empty(),
                "{:?}",
                analysis.parse_errors
            );
            let edits: Vec<TextEdit> = analysis
                .findings
                .iter()
                .filter(|f| f.safety != Safety::Manual)
                .flat_map(|f| f.edits.clone())
                .collect();
            if !edits.is_empty() {
                *text = apply_edits(text, &edits);
                changed = true;
            }
        }
        if !changed {
            return (files, round);
        }
    }
    panic!("the rewrite does not reach a fixed point");
}

/// `cargo check` the crate in `dir` with the example's dependencies; its warnings.
fn cargo_check(dir: &Path) -> Vec<String> {
    generate::check_warnings(
        dir,
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness/target"),
    )
}

#[test]
fn applied_helper_rewrites_compile_and_plan_nothing_more() {
    let before = sources("project_closure_helper_is_the_guard");
    let (after, rounds) = rewrite_crate(before.clone());
    assert_eq!(rounds, 1, "one round applies everything");
    let lib = &after[Path::new("lib.rs")];
    assert!(lib.contains("    let id = with_tx(conn, |tx| {\n"), "{lib}");
    assert!(lib.contains("    with_tx(conn, |tx| {\n        match tx.execute(\n            \"UPDATE accounts SET balance = balance - ?1 WHERE id = ?2\",\n"), "{lib}");
    assert!(
        after[Path::new("reports.rs")].contains("    with_tx(conn, |tx| {\n        if let Err(e)")
    );
    // The helper keeps its rollback; `balances` got the drop form.
    assert_eq!(lib.matches("rollback").count(), 1, "{lib}");
    for (path, text) in &after {
        let index = index_of(after.values());
        let again = analyze_in(text, Edition::E2021, false, &index);
        assert!(
            again.all_edits().is_empty(),
            "{} plans more: {:?}",
            path.display(),
            again.findings
        );
        assert!(analyze(text, Edition::E2021, false).all_edits().is_empty());
    }

    check_before_and_after("project_closure_helper_is_the_guard", before, after);
}

#[test]
fn the_other_index_cases_compile_before_and_after_too() {
    for case in [
        "transaction_type_defined_in_another_file",
        "closure_helper_tie_keeps_the_drop_form",
    ] {
        let before = sources(case);
        let (after, rounds) = rewrite_crate(before.clone());
        assert_eq!(rounds, 1, "{case}: one round applies everything");
        assert_ne!(before, after, "{case}: something is rewritten");
        check_before_and_after(case, before, after);
    }
}

/// `cargo check` the case's sources before and after the rewrite, as crates with the
/// example's dependencies and lock: both compile without warnings.
fn check_before_and_after(
    case: &str,
    before: BTreeMap<PathBuf, String>,
    after: BTreeMap<PathBuf, String>,
) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ledger_service");
    let crate_with = |sources: BTreeMap<PathBuf, String>| generate::CrateFiles {
        manifest: std::fs::read_to_string(example.join("Cargo.toml")).unwrap(),
        lock: std::fs::read_to_string(example.join("Cargo.lock")).unwrap(),
        sources,
    };
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness");
    for (stage, sources) in [("before", before), ("after", after)] {
        // A name of its own: cargo would otherwise mix artifacts in the shared target.
        let name = format!("{case}_{stage}");
        let dir = root.join(&name);
        crate_with(sources).write_standalone(&dir, &name).unwrap();
        let warnings = cargo_check(&dir);
        assert!(warnings.is_empty(), "{name} has warnings: {warnings:?}");
    }
}
