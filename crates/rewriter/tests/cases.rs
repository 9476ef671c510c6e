//! Every testdata case and the example project, planned and snapshotted (findings with
//! class and reason, then the diff); every rewrite re-parses and a second plan over the
//! result plans nothing.

mod common;
#[path = "common/reasons.rs"]
mod reasons;

use std::path::{Path, PathBuf};

use analyzer::{ProjectIndex, SourceFile};
use common::{build_index, py_files, root};
use rewriter::{plan_file, FilePlan, Selection};

/// Pass 1 over `files` plus pass 2 over each of `targets`.
/// A file's plan, or why it was skipped.
type Planned = Result<FilePlan, String>;

fn plan_tree(config_dir: &Path, files: &[PathBuf], targets: &[PathBuf]) -> Vec<Planned> {
    let index = build_index(config_dir, files);
    targets
        .iter()
        .map(|p| {
            let f = SourceFile::read(p).unwrap();
            if let Some(why) = analyzer::skip_reason(&f.text) {
                return Err(format!("skipped: {why}"));
            }
            let plan = plan_file(f, &index, Selection::SafeAndReview)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            check_idempotent(&index, &plan);
            check_reasons(&plan);
            Ok(plan)
        })
        .collect()
}

/// Every line a reason cites exists and holds what the reason says (section "reasons" of
/// docs/rules.md).
fn check_reasons(plan: &FilePlan) {
    let mut wrong = vec![];
    for f in &plan.findings {
        for w in reasons::check(&plan.file.text, &f.reason) {
            wrong.push(format!("line {}: {w}\n    {}", f.line, f.reason));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}: reasons cite wrong lines:\n{}",
        plan.file.path.display(),
        wrong.join("\n")
    );
}

/// The rewritten text parses and plans no further rewrite; the same holds when only the
/// safe rewrites are applied.
fn check_idempotent(index: &ProjectIndex, plan: &FilePlan) {
    let safe = plan_file(plan.file.clone(), index, Selection::SafeOnly).unwrap();
    if safe.is_changed() {
        let again = SourceFile::from_text(&safe.file.path, safe.rewritten.clone());
        let replan = plan_file(again, index, Selection::SafeOnly).unwrap_or_else(|e| {
            panic!(
                "{}: safe-only output fails: {e}\n{}",
                safe.file.path.display(),
                safe.rewritten
            )
        });
        assert!(
            replan.findings.iter().all(|f| !f.applied),
            "{}: second safe-only plan still rewrites\n{}",
            safe.file.path.display(),
            safe.rewritten
        );
    }
    if !plan.is_changed() {
        return;
    }
    let again = SourceFile::from_text(&plan.file.path, plan.rewritten.clone());
    let replan = plan_file(again, index, Selection::SafeAndReview).unwrap_or_else(|e| {
        panic!(
            "{}: rewritten text fails: {e}\n{}",
            plan.file.path.display(),
            plan.rewritten
        )
    });
    let left: Vec<_> = replan.findings.iter().filter(|f| f.applied).collect();
    assert!(
        left.is_empty(),
        "{}: second plan still rewrites {:?}\n{}",
        plan.file.path.display(),
        left,
        plan.rewritten
    );
}

fn render(plans: &[Planned], base: &Path) -> String {
    let mut out = String::new();
    for p in plans {
        let p = match p {
            Ok(p) => p,
            Err(why) => {
                out.push_str(why);
                out.push('\n');
                continue;
            }
        };
        let rel = p.file.path.strip_prefix(base).unwrap_or(&p.file.path);
        let rel = rel.to_string_lossy().replace('\\', "/");
        if p.findings.is_empty() {
            out.push_str(&format!("{rel}: no findings\n"));
            continue;
        }
        for f in &p.findings {
            out.push_str(&format!(
                "{rel}:{}:{} {} [{}]{} {}\n",
                f.line,
                f.column,
                f.kind,
                f.safety,
                if f.applied { "" } else { " (not applied)" },
                f.reason
            ));
        }
        // Show line endings and tabs so the snapshot proves they are kept.
        let diff = p
            .unified_diff(&rel)
            .replace('\r', "\\r")
            .replace('\t', "\\t");
        out.push_str(&diff);
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, content: &str) {
    insta::with_settings!({
        snapshot_path => root().join("testdata/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, content);
    });
}

#[test]
fn single_file_cases() {
    let dir = root().join("testdata/cases");
    let fixture = root().join("testdata/casefix.py");
    let mut names = vec![];
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "py") {
            names.push(p);
        }
    }
    names.sort();
    assert!(
        names.len() >= 40,
        "expected at least 40 cases, found {}",
        names.len()
    );
    for case in names {
        let stem = case.file_stem().unwrap().to_string_lossy().to_string();
        let plans = plan_tree(
            &dir,
            &[fixture.clone(), case.clone()],
            std::slice::from_ref(&case),
        );
        snapshot(&stem, &render(&plans, &dir));
    }
}

#[test]
fn directory_cases() {
    let dir = root().join("testdata/cases");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if !p.is_dir() {
            continue;
        }
        let files = py_files(&p);
        let plans = plan_tree(&p, &files, &files);
        let stem = p.file_name().unwrap().to_string_lossy().to_string();
        snapshot(&stem, &render(&plans, &p));
    }
}

#[test]
fn example_project() {
    let dir = root().join("examples/inventory_service");
    let files = py_files(&dir);
    let plans = plan_tree(&dir, &files, &files);
    snapshot("example_inventory_service", &render(&plans, &dir));
}
