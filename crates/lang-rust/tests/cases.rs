//! Fixture tests: every `tests/cases/*.rs` is analysed, its plan (one line per finding and
//! a unified diff of the finding's edits) is snapshotted, and the rewrite of all edits is
//! checked to re-parse and to plan nothing more.

use std::fmt::Write;
use std::path::Path;

use lang_rust::{analyze, apply_edits, Analysis, Edition, Finding};
use similar::TextDiff;

/// CR bytes are shown as `␍` so that CRLF fixtures are visible in the snapshot.
fn diff(before: &str, after: &str) -> String {
    let text = TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header("before", "after")
        .to_string();
    text.replace('\r', "␍")
}

fn finding_line(f: &Finding) -> String {
    let test = if f.in_test { " (test)" } else { "" };
    format!(
        "{} {} {} [{}]{test} {}",
        f.line,
        f.kind.code(),
        f.kind,
        f.safety,
        f.reason
    )
}

fn plan(text: &str, analysis: &Analysis) -> String {
    let mut out = String::new();
    for e in &analysis.parse_errors {
        writeln!(out, "parse error at byte {}: {}", e.offset, e.message).unwrap();
    }
    if analysis.findings.is_empty() {
        out.push_str("no findings\n");
    }
    for f in &analysis.findings {
        writeln!(out, "{}", finding_line(f)).unwrap();
        if !f.edits.is_empty() {
            out.push_str(&diff(text, &apply_edits(text, &f.edits)));
        }
    }
    out
}

fn check_invariants(name: &str, text: &str, analysis: &Analysis) {
    for f in &analysis.findings {
        assert!(
            !f.reason.contains('\n'),
            "{name}: reason is not one line: {}",
            f.reason
        );
        assert!(
            f.range.start <= f.range.end && f.range.end <= text.len(),
            "{name}: bad range"
        );
        if f.safety == lang_rust::Safety::Manual {
            assert!(f.edits.is_empty(), "{name}: a manual finding has edits");
        }
        let sorted = f
            .edits
            .windows(2)
            .all(|w| w[0].range.end <= w[1].range.start);
        assert!(sorted, "{name}: edits not sorted / overlapping");
    }
    let after = apply_edits(text, &analysis.all_edits());
    let again = analyze(&after, Edition::E2021, false);
    assert!(
        again.parse_errors.is_empty(),
        "{name}: rewrite does not parse: {:?}\n{after}",
        again.parse_errors
    );
    assert!(
        again.all_edits().is_empty(),
        "{name}: rewrite is not idempotent:\n{}",
        plan(&after, &again)
    );
    if text.starts_with('\u{feff}') {
        assert!(after.starts_with('\u{feff}'), "{name}: BOM lost");
    }
    if text.contains("\r\n") {
        let bare_lf = after
            .bytes()
            .enumerate()
            .filter(|&(i, b)| b == b'\n' && (i == 0 || after.as_bytes()[i - 1] != b'\r'))
            .count();
        assert_eq!(bare_lf, 0, "{name}: a CRLF file got a bare LF");
    }
}

#[test]
fn cases() {
    insta::glob!("cases/*.rs", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let analysis = analyze(&text, Edition::E2021, false);
        check_invariants(&name, &text, &analysis);
        insta::assert_snapshot!(plan(&text, &analysis));
    });
}

#[test]
fn every_kind_and_driver_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut seen = std::collections::BTreeSet::new();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        seen.extend(
            analyze(&text, Edition::E2021, false)
                .findings
                .iter()
                .map(|f| f.kind),
        );
        names.push(path.file_name().unwrap().to_string_lossy().to_string());
    }
    assert_eq!(seen.len(), lang_rust::KINDS.len(), "kinds seen: {seen:?}");
    for driver in [
        "rusqlite",
        "sqlx",
        "diesel",
        "sea_orm",
        "tokio_postgres",
        "postgres",
        "project_tx",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(driver)),
            "no fixture for {driver}"
        );
    }
}
