//! examples/ledger_service as a whole-crate fixture: every kind is found where it is
//! expected, the shapes that must not be touched give no finding, and the rewritten crate
//! re-parses, plans nothing more and still compiles.
//!
//! `cargo check` runs with the target directory shared with `equivalence.rs`, under this
//! test's target tmp dir, so the drivers compile once per checkout.

#[allow(dead_code)]
#[path = "../../../harness/rust/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};

use generate::CrateFiles;
use lang_rust::{analyze, edition_from_cargo_toml, Analysis, Safety};
use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::AstNode;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ledger_service")
}

fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness/target")
}

fn example() -> CrateFiles {
    CrateFiles::read(&example_dir()).expect("read the example")
}

fn analyses(files: &CrateFiles) -> Vec<(PathBuf, Analysis)> {
    let edition = edition_from_cargo_toml(&files.manifest);
    files
        .sources
        .iter()
        .map(|(path, text)| (path.clone(), analyze(text, edition, false)))
        .collect()
}

/// `(module::function, code, safety)` of every finding, sorted.
fn findings_by_function(files: &CrateFiles) -> Vec<(String, &'static str, Safety)> {
    let mut out = Vec::new();
    for (path, analysis) in analyses(files) {
        let text = &files.sources[&path];
        for f in &analysis.findings {
            let function = generate::function_at(&path, text, f.range.start);
            out.push((function, f.kind.code(), f.safety));
        }
    }
    out.sort();
    out
}

#[test]
fn every_shape_is_found_where_expected() {
    use Safety::{Manual, Review, Safe};
    let expected = [
        ("accounts::archive_account", "RS005", Manual),
        ("accounts::close_account", "RS001", Review),
        ("accounts::open_account", "RS001", Safe),
        ("accounts::preview_interest", "RS002", Safe),
        ("accounts::withdraw", "RS001", Review),
        ("import::post_entries", "RS004", Manual),
        ("import::replay_journal", "RS003", Manual),
        ("import::replay_journal", "RS003", Manual),
        ("store::freeze_account", "RS001", Safe),
        ("store::merge_accounts", "RS001", Review),
        ("transfers::cancel_transfer", "RS004", Manual),
        ("transfers::deposit", "RS001", Safe),
        ("transfers::preview_fee_run", "RS002", Review),
        ("transfers::rebuild_balances", "RS003", Manual),
        ("transfers::rebuild_balances", "RS003", Manual),
        ("transfers::settle_transfer", "RS001", Review),
        ("transfers::transfer", "RS001", Review),
    ];
    let found = findings_by_function(&example());
    let found: Vec<(&str, &str, Safety)> =
        found.iter().map(|(f, c, s)| (f.as_str(), *c, *s)).collect();
    assert_eq!(found, expected);
    for code in ["RS001", "RS002", "RS003", "RS004", "RS005"] {
        assert!(found.iter().any(|f| f.1 == code), "no {code}");
    }
    for (code, safety) in [
        ("RS001", Safe),
        ("RS001", Review),
        ("RS002", Safe),
        ("RS002", Review),
    ] {
        assert!(
            found.iter().any(|f| (f.1, f.2) == (code, safety)),
            "no {code} {safety}"
        );
    }
}

/// Byte ranges of the functions called `name` in `text`.
fn fn_ranges(text: &str, name: &str) -> Vec<std::ops::Range<usize>> {
    let file = ast::SourceFile::parse(text, ra_ap_syntax::Edition::Edition2021).tree();
    file.syntax()
        .descendants()
        .filter_map(ast::Fn::cast)
        .filter(|f| f.name().is_some_and(|n| n.text() == name))
        .map(|f| {
            let r = f.syntax().text_range();
            usize::from(r.start())..usize::from(r.end())
        })
        .collect()
}

#[test]
fn traps_give_no_finding() {
    // (file, function, why it must be left alone)
    let traps = [
        (
            "store.rs",
            "begin_transaction",
            "implements the transaction type",
        ),
        ("store.rs", "commit", "implements the transaction type"),
        ("store.rs", "rollback", "implements the transaction type"),
        ("store.rs", "drop", "the transaction type's Drop impl"),
        ("import.rs", "finish", "commits a transaction it owns"),
        (
            "import.rs",
            "prepare_import",
            "the transaction is stored in a struct",
        ),
        (
            "import.rs",
            "deferred_checks",
            "the transaction is returned",
        ),
        (
            "import.rs",
            "load_entries",
            "the transaction is passed by value",
        ),
    ];
    let files = example();
    let analyses = analyses(&files);
    for (file, function, why) in traps {
        let text = &files.sources[Path::new(file)];
        let ranges = fn_ranges(text, function);
        assert_eq!(ranges.len(), 1, "{file}: one fn `{function}`");
        let body = &text[ranges[0].clone()];
        assert!(
            ["commit", "rollback", "COMMIT", "ROLLBACK", "BEGIN"]
                .iter()
                .any(|w| body.contains(w)),
            "{file}::{function} is no trap: it settles no transaction"
        );
        let (_, analysis) = analyses.iter().find(|(p, _)| p == Path::new(file)).unwrap();
        let inside: Vec<_> = analysis
            .findings
            .iter()
            .filter(|f| ranges[0].contains(&f.range.start))
            .collect();
        assert!(inside.is_empty(), "{file}::{function} ({why}): {inside:?}");
    }
}

/// `cargo check` the crate in `dir`; returns its warnings.
fn cargo_check(dir: &Path) -> Vec<String> {
    generate::check_warnings(dir, &shared_target_dir())
}

#[test]
fn rewrite_reparses_is_idempotent_and_compiles() {
    let before = example();
    let rewrite = generate::rewrite_to_fixed_point(&before);
    // Round 1 applies every edit; round 2 must find nothing left to do.
    assert_eq!(rewrite.rounds, 2, "the rewrite is not idempotent");
    let after = before.with_sources(rewrite.after.clone());
    for (path, analysis) in analyses(&after) {
        assert!(
            analysis.parse_errors.is_empty(),
            "{} does not re-parse: {:?}",
            path.display(),
            analysis.parse_errors
        );
        assert!(
            analysis.all_edits().is_empty(),
            "{} plans more edits",
            path.display()
        );
    }
    // The report-only findings are still there; the rewritten ones are gone.
    let left = findings_by_function(&after);
    assert!(
        left.iter().all(|(_, _, s)| *s == Safety::Manual),
        "{left:?}"
    );
    assert_eq!(left.len(), 7, "{left:?}");

    assert!(
        cargo_check(&example_dir()).is_empty(),
        "the example has warnings"
    );
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness/ledger_service-rewritten");
    after
        // A name of its own: cargo would otherwise take it for the example, whose
        // artifacts share the target directory.
        .write_standalone(&copy, "ledger_service_rewritten")
        .expect("write the rewritten copy");
    // A `mut` only the removed rollbacks needed goes with them.
    let warnings = cargo_check(&copy);
    assert!(
        warnings.is_empty(),
        "the rewrite added warnings: {warnings:?}"
    );
}

/// Shapes where removing the rollback leaves the binding without a use, or without a use
/// that needs `mut`; the crate has no warning before, and none after.
const BINDING_SHAPES: &str = r#"use rusqlite::{Connection, Transaction};

/// The rollback is the transaction's only use.
pub fn probe_lock(conn: &mut Connection) {
    let tx = conn.transaction().unwrap();
    let _ = tx.rollback();
}

/// The same, awaited.
pub async fn probe_pool(pool: &sqlx::SqlitePool) {
    let tx = pool.begin().await.unwrap();
    tx.rollback().await.unwrap();
}

/// `Savepoint::rollback` takes `&mut self`; the savepoint's other uses do not.
pub fn insert_all(tx: &mut Transaction<'_>, rows: &[i64]) -> rusqlite::Result<()> {
    let mut sp = tx.savepoint()?;
    if let Err(e) = insert(&sp, rows) {
        sp.rollback()?;
        return Err(e);
    }
    sp.commit()
}

fn insert(conn: &Connection, rows: &[i64]) -> rusqlite::Result<()> {
    for row in rows {
        conn.execute("INSERT INTO t (v) VALUES (?1)", [row])?;
    }
    Ok(())
}
"#;

#[test]
fn bindings_left_by_a_removal_raise_no_warning() {
    let sources = [(PathBuf::from("lib.rs"), BINDING_SHAPES.to_string())];
    let before = example().with_sources(sources.into_iter().collect());
    let rewrite = generate::rewrite_to_fixed_point(&before);
    let after = rewrite.after[Path::new("lib.rs")].clone();
    for shape in [
        "    let _tx = conn.transaction().unwrap();\n}",
        "    let _tx = pool.begin().await.unwrap();\n}",
        "    let sp = tx.savepoint()?;",
    ] {
        assert!(after.contains(shape), "{shape:?} not in:\n{after}");
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness");
    for (name, files) in [
        ("binding_shapes_before", before.clone()),
        ("binding_shapes_after", before.with_sources(rewrite.after)),
    ] {
        let dir = root.join(name);
        files.write_standalone(&dir, name).expect("write the crate");
        let warnings = cargo_check(&dir);
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
    }
}
