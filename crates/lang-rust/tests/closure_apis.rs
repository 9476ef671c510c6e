//! Driver closure APIs as rewrite targets: the diesel testdata crate's raw-SQL blocks
//! become `conn.transaction(|conn| ..)` / `conn.immediate_transaction(|conn| ..)`, the
//! result plans nothing more, and the crate compiles before and after (`cargo check`
//! with the case's own `Cargo.lock`, in the target directory the other harness tests use).

#[allow(dead_code)]
#[path = "../../../harness/rust/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lang_rust::{analyze, apply_edits, Edition, Kind, Safety, TextEdit};

const CASE: &str = "diesel_raw_sql_block_becomes_the_closure_api";

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/rust")
        .join(CASE)
}

fn lib_rs() -> String {
    std::fs::read_to_string(case_dir().join("src/lib.rs")).unwrap()
}

fn rewrite(text: &str) -> String {
    let analysis = analyze(text, Edition::E2021, false);
    let edits: Vec<TextEdit> = analysis
        .findings
        .iter()
        .filter(|f| f.safety != Safety::Manual)
        .flat_map(|f| f.edits.clone())
        .collect();
    apply_edits(text, &edits)
}

#[test]
fn each_clean_block_is_one_review_finding_and_the_rest_stays_reported() {
    let findings = analyze(&lib_rs(), Edition::E2021, false).findings;
    let summary: Vec<(usize, Kind, Safety)> = findings
        .iter()
        .map(|f| (f.line, f.kind, f.safety))
        .collect();
    use Kind::RawSqlTransaction as Raw;
    assert_eq!(
        summary,
        [
            (20, Raw, Safety::Review),
            (34, Raw, Safety::Review),
            (46, Raw, Safety::Manual),
            (51, Raw, Safety::Manual),
        ],
        "{findings:#?}"
    );
    let after = rewrite(&lib_rs());
    assert!(
        after.contains(
            "    let claimed = conn.immediate_transaction::<_, AppError, _>(|conn| {
        let claimed = sql_query(\"UPDATE jobs SET worker = ? WHERE worker IS NULL\")
            .bind::<Text, _>(worker)
            .execute(conn)?;
        Ok(claimed)
    })?;
    if claimed == 0 {"
        ),
        "{after}"
    );
    assert!(
        after.contains("    conn.transaction::<_, diesel::result::Error, _>(|conn| {\n"),
        "{after}"
    );
    assert!(!after.contains("ROLLBACK"), "{after}");
    let again = analyze(&after, Edition::E2021, false);
    assert!(again.parse_errors.is_empty(), "{:?}", again.parse_errors);
    assert!(again.all_edits().is_empty(), "{:?}", again.findings);
}

/// `cargo check` the crate in `dir`; its warnings.
fn cargo_check(dir: &Path) -> Vec<String> {
    generate::check_warnings(
        dir,
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness/target"),
    )
}

#[test]
fn the_rewritten_diesel_crate_compiles() {
    let files = |lib: String| generate::CrateFiles {
        manifest: std::fs::read_to_string(case_dir().join("Cargo.toml")).unwrap(),
        lock: std::fs::read_to_string(case_dir().join("Cargo.lock")).unwrap(),
        sources: BTreeMap::from([(PathBuf::from("lib.rs"), lib)]),
    };
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness");
    for (stage, lib) in [("before", lib_rs()), ("after", rewrite(&lib_rs()))] {
        // A name of its own: cargo would otherwise mix artifacts in the shared target.
        let name = format!("signups_{stage}");
        let dir = root.join(&name);
        files(lib).write_standalone(&dir, &name).unwrap();
        let warnings = cargo_check(&dir);
        assert!(warnings.is_empty(), "{name} has warnings: {warnings:?}");
    }
}
