//! Runs the Rust equivalence harness (harness/rust) over examples/ledger_service: every
//! function the rewrite changes must behave the same before and after, under injected
//! write and commit faults. A second test proves the harness sees a behaviour change.
//!
//! The runner crate is generated under this test's target tmp dir and built with the same
//! target directory as `example_crate.rs`, so the drivers compile once.

#[allow(dead_code)]
#[path = "../../../harness/rust/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::process::Output;

use generate::{CrateFiles, Scenarios};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Shared by every cargo build these tests start.
fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-harness/target")
}

fn example() -> CrateFiles {
    CrateFiles::read(&repo_root().join("examples/ledger_service")).expect("read the example")
}

fn scenarios() -> Scenarios {
    let path = repo_root().join("harness/rust/scenarios.toml");
    Scenarios::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Generate the runner for `before` vs `after` under `name`, build and run it.
fn run_harness(name: &str, before: &CrateFiles, after: &CrateFiles) -> Output {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rust-harness")
        .join(name);
    generate::generate(before, after, &scenarios(), &dir).expect("write the runner crate");
    generate::run(&dir, &shared_target_dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn rewritten_functions_behave_the_same() {
    let before = example();
    let rewrite = generate::rewrite_to_fixed_point(&before);
    let uncovered = scenarios().uncovered(&rewrite);
    assert!(
        uncovered.is_empty(),
        "rewritten functions without a scenario in harness/rust/scenarios.toml: {uncovered:?}"
    );
    for r in &rewrite.functions {
        println!("rewritten: {} {} [{}]", r.function, r.code, r.safety);
    }
    let out = run_harness(
        "ledger_service",
        &before,
        &before.with_sources(rewrite.after),
    );
    let report = stdout(&out);
    println!("{report}");
    assert!(
        out.status.success(),
        "the rewrite changed behaviour:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains(" 0 mismatched"), "{report}");
}

#[test]
fn harness_catches_a_removed_commit() {
    let before = example();
    let mut after = generate::rewrite_to_fixed_point(&before).after;
    let accounts = after.get_mut(Path::new("accounts.rs")).unwrap();
    let commit = "    tx.commit()?;\n    Ok(id)\n";
    assert!(accounts.contains(commit), "open_account changed shape");
    *accounts = accounts.replacen(commit, "    Ok(id)\n", 1);
    let out = run_harness(
        "ledger_service-mutant",
        &before,
        &before.with_sources(after),
    );
    let report = stdout(&out);
    assert!(!out.status.success(), "the mutant passed:\n{report}");
    assert!(
        report.contains("MISMATCH accounts::open_account none"),
        "{report}"
    );
    // Only the mutated function differs.
    let others = report
        .lines()
        .filter(|l| l.starts_with("MISMATCH") && !l.contains("accounts::open_account "));
    assert_eq!(others.count(), 0, "{report}");
}
