//! The Rust corpus report: `<cache>/corpus-rust.md` and `.json`, and the gate.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde::Serialize;

use super::super::MAX_NOTES;
use super::measure::CrateReport;

/// The rewrite kinds of the Rust front-end, in code order (RS001..RS005).
const KINDS: [(&str, &str); 5] = [
    ("RS001", "manual-transaction"),
    ("RS002", "redundant-rollback"),
    ("RS003", "raw-sql-transaction"),
    ("RS004", "uncommitted-transaction"),
    ("RS005", "double-management"),
];

#[derive(Serialize)]
pub(super) struct Failure {
    spec: String,
    error: String,
}

impl Failure {
    pub fn new(spec: &str, err: &anyhow::Error) -> Failure {
        Failure {
            spec: spec.to_string(),
            error: format!("{err:#}"),
        }
    }
}

#[derive(Serialize)]
struct FullReport {
    codemod: String,
    crates: Vec<CrateReport>,
    failures: Vec<Failure>,
}

/// Writes both reports, prints the markdown and its path, and returns the gate's verdict.
pub(super) fn write(
    cache: &Path,
    codemod: &Path,
    crates: Vec<CrateReport>,
    failures: Vec<Failure>,
) -> Result<ExitCode> {
    let full = FullReport {
        codemod: codemod.display().to_string(),
        crates,
        failures,
    };
    let markdown = render_markdown(&full);
    println!("{markdown}");
    let md_path = cache.join("corpus-rust.md");
    let json_path = cache.join("corpus-rust.json");
    fs::write(&md_path, &markdown)?;
    fs::write(&json_path, serde_json::to_string_pretty(&full)? + "\n")?;
    eprintln!(
        "corpus: wrote {} and {}",
        md_path.display(),
        json_path.display()
    );
    if full.crates.is_empty() {
        bail!("no crate could be measured");
    }
    Ok(gate(&full))
}

fn gate(report: &FullReport) -> ExitCode {
    let sum = |f: fn(&CrateReport) -> u64| report.crates.iter().map(f).sum::<u64>();
    let invalid = sum(|c| c.invalid_outputs);
    let non_idempotent = sum(|c| c.non_idempotent);
    let panics = sum(|c| c.panics);
    let tool_failures = sum(|c| c.tool_failures);
    let broken = sum(|c| u64::from(c.broke_the_build()));
    let failures = report.failures.len();
    if invalid + non_idempotent + panics + tool_failures + broken > 0 || failures > 0 {
        eprintln!(
            "corpus: GATE FAILED: {invalid} invalid outputs, {non_idempotent} non-idempotent \
             files, {panics} panics, {tool_failures} codemod runs without usable output, \
             {broken} crates that checked before `apply` and not after, {failures} crates \
             not measured"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn check_cell(check: Option<&super::check::Check>) -> &'static str {
    match check {
        None => "unchanged",
        Some(c) if c.built => "yes",
        Some(_) => "**no**",
    }
}

fn render_markdown(report: &FullReport) -> String {
    let mut out = String::from(
        "| crate | version | driver | .rs files | files parsed | files with findings ",
    );
    for (code, _) in KINDS {
        let _ = write!(out, "| {code} ");
    }
    out.push_str(
        "| other kinds | input parse failures | safe | review | manual | applied | files changed \
         | invalid outputs | not idempotent | panics | plan wall s | check before | check after \
         | new warnings |\n|---|---|---|",
    );
    out.push_str(&"--:|".repeat(19));
    out.push_str("---|---|--:|\n");
    for c in &report.crates {
        render_row(&mut out, c);
    }
    render_total(&mut out, &report.crates);
    render_footer(&mut out, report);
    render_notes(&mut out, report);
    out
}

fn kind_counts(c: &CrateReport) -> ([u64; 5], u64) {
    let mut counts = [0; 5];
    let mut other = 0;
    for (kind, n) in &c.findings_by_kind {
        match KINDS.iter().position(|(_, name)| name == kind) {
            Some(i) => counts[i] += n,
            None => other += n,
        }
    }
    (counts, other)
}

fn render_row(out: &mut String, c: &CrateReport) {
    let (kinds, other) = kind_counts(c);
    let _ = write!(
        out,
        "| {} | {} | {} | {} | {} | {} ",
        c.name, c.version, c.driver, c.rs_files, c.files_parsed, c.files_with_findings
    );
    for n in kinds {
        let _ = write!(out, "| {n} ");
    }
    let _ = writeln!(
        out,
        "| {other} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} |",
        c.input_parse_failures,
        c.safe,
        c.review,
        c.manual,
        c.rewrites_applied,
        c.files_changed,
        c.invalid_outputs,
        c.non_idempotent,
        c.panics,
        c.plan_wall_s,
        if c.check_before.built {
            "yes"
        } else {
            "**no**"
        },
        check_cell(c.check_after.as_ref()),
        c.new_warnings.len()
    );
}

fn render_total(out: &mut String, crates: &[CrateReport]) {
    let sum = |f: &dyn Fn(&CrateReport) -> u64| crates.iter().map(f).sum::<u64>();
    let _ = write!(
        out,
        "| **total** | | | {} | {} | {} ",
        sum(&|c| c.rs_files as u64),
        sum(&|c| c.files_parsed),
        sum(&|c| c.files_with_findings)
    );
    for i in 0..KINDS.len() {
        let _ = write!(out, "| {} ", sum(&|c| kind_counts(c).0[i]));
    }
    let built = sum(&|c| u64::from(c.check_before.built));
    let still = sum(&|c| u64::from(c.check_before.built && !c.broke_the_build()));
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {built} of {} | {still} of {built} | {} |",
        sum(&|c| kind_counts(c).1),
        sum(&|c| c.input_parse_failures),
        sum(&|c| c.safe),
        sum(&|c| c.review),
        sum(&|c| c.manual),
        sum(&|c| c.rewrites_applied),
        sum(&|c| c.files_changed),
        sum(&|c| c.invalid_outputs),
        sum(&|c| c.non_idempotent),
        sum(&|c| c.panics),
        crates.iter().map(|c| c.plan_wall_s).sum::<f64>(),
        crates.len(),
        sum(&|c| c.new_warnings.len() as u64)
    );
}

fn render_footer(out: &mut String, report: &FullReport) {
    let built: Vec<&CrateReport> = report
        .crates
        .iter()
        .filter(|c| c.check_before.built)
        .collect();
    let still = built.iter().filter(|c| !c.broke_the_build()).count();
    let applied = built.iter().filter(|c| c.check_after.is_some()).count();
    let _ = writeln!(
        out,
        "\nApplied crates that still `cargo check`: {still} of the {} that built before \
         ({applied} of them changed by `apply`).",
        built.len()
    );
    let _ = writeln!(
        out,
        "\ncodemod: `{}`. RS001 manual-transaction, RS002 redundant-rollback, RS003 \
         raw-sql-transaction, RS004 uncommitted-transaction, RS005 double-management (findings \
         of the first `codemod plan --format json`); applied = rewrites that plan would write; \
         files changed = by `codemod apply --include-review` on the files with such rewrites; \
         invalid outputs = changed files that parsed before and not after (ra_ap_syntax via \
         lang_rust); not idempotent = files where a second plan would still rewrite; panics = \
         internal errors + exit 101 / signal / timeout of plan, apply or re-plan, and apply's \
         exit 3; `cargo check` with the crate's check arguments and a shared target directory \
         (check after: `unchanged` when apply changed nothing); new warnings = the crate's own \
         `cargo check` warnings after apply that it did not have before (listed in the notes, \
         not a gate).",
        report.codemod
    );
}

fn render_notes(out: &mut String, report: &FullReport) {
    let mut notes = String::new();
    for c in &report.crates {
        let id = format!("{}-{}", c.name, c.version);
        let checks = [
            ("before", Some(&c.check_before)),
            ("after", c.check_after.as_ref()),
        ];
        let check_errors = checks.into_iter().filter_map(|(when, check)| {
            let err = check?.first_error.as_ref()?;
            Some(format!("`cargo check` {when} apply failed: {err}"))
        });
        let lines: Vec<String> = check_errors
            .chain(c.notes.iter().cloned())
            .chain(
                c.new_warnings
                    .iter()
                    .map(|w| format!("new warning after apply: {w}")),
            )
            .chain(
                c.invalid_output_files
                    .iter()
                    .map(|f| format!("invalid output: {f}")),
            )
            .chain(
                c.non_idempotent_files
                    .iter()
                    .map(|f| format!("non-idempotent: {f}")),
            )
            .collect();
        for line in lines.iter().take(MAX_NOTES) {
            let _ = writeln!(notes, "- {id}: {line}");
        }
        if lines.len() > MAX_NOTES {
            let more = lines.len() - MAX_NOTES;
            let _ = writeln!(notes, "- {id}: ... {more} more in corpus-rust.json");
        }
    }
    for f in &report.failures {
        let _ = writeln!(notes, "- {}: FAILED: {}", f.spec, f.error);
    }
    if !notes.is_empty() {
        out.push_str("\nNotes:\n");
        out.push_str(&notes);
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::Check;
    use super::*;

    fn built(built: bool) -> Check {
        Check {
            built,
            ..Check::default()
        }
    }

    fn report(crates: Vec<CrateReport>) -> FullReport {
        FullReport {
            codemod: "codemod".to_string(),
            crates,
            failures: Vec::new(),
        }
    }

    #[test]
    fn a_crate_that_stops_checking_fails_the_gate() {
        let mut c = CrateReport {
            name: "demo".to_string(),
            version: "1.0.0".to_string(),
            check_before: built(true),
            check_after: Some(built(true)),
            ..CrateReport::default()
        };
        c.findings_by_kind
            .insert("redundant-rollback".to_string(), 2);
        c.findings_by_kind.insert("something-new".to_string(), 1);
        let ok = report(vec![c]);
        let md = render_markdown(&ok);
        assert!(
            md.contains("| demo | 1.0.0 |  | 0 | 0 | 0 | 0 | 2 | 0 | 0 | 0 | 1 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("still `cargo check`: 1 of the 1 that built before"),
            "{md}"
        );
        assert_eq!(gate(&ok), ExitCode::SUCCESS);
        let mut broken = ok;
        broken.crates[0].check_after = Some(built(false));
        assert!(render_markdown(&broken).contains("| yes | **no** | 0 |"));
        assert_eq!(gate(&broken), ExitCode::FAILURE);
    }

    #[test]
    fn a_crate_that_never_built_does_not_fail_the_gate() {
        let c = CrateReport {
            check_before: built(false),
            check_after: Some(built(false)),
            ..CrateReport::default()
        };
        assert_eq!(gate(&report(vec![c])), ExitCode::SUCCESS);
    }
}
