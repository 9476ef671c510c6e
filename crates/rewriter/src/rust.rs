//! Planning a Rust file: the Rust front-end's findings and text edits, applied in rounds
//! to a fixed point and re-parsed, into the same `FilePlan` a Python file gets.
//!
//! Each round analyses the current text, applies the selected edits that do not overlap
//! an edit already chosen in the round, and maps offsets back to the original text. A
//! finding of a later round that continues no planned finding is a follow-up, tied to
//! the applied finding whose rewrite uncovered it.

use std::ops::Range;

use analyzer::{InputError, SourceFile};
use lang_rust::{Analysis, CrateIndex, Edition};
use ruff_text_size::{TextRange, TextSize};

use crate::edit::{self, Edit, OffsetMap};
use crate::{FilePlan, PlanError, PlannedFinding, Selection, MAX_ROUNDS};

/// What the Rust front-end needs to know about a file besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustFile {
    /// From the crate's `Cargo.toml` (2021 when it says nothing).
    pub edition: Edition,
    /// The whole file is test code (`tests/`, `benches/`, `examples/` of a crate).
    pub is_test_code: bool,
}

/// Analyse, apply the selected rewrites that `keep` accepts, verify. `Err(Input)` for a
/// file that does not parse as Rust; `Err(Internal)` if our own output would not. The
/// file is analysed on its own: [`plan_rust_file_in`] with an empty index.
pub fn plan_rust_file(
    file: SourceFile,
    rust: RustFile,
    selection: Selection,
    keep: impl Fn(&PlannedFinding) -> bool,
) -> Result<FilePlan, PlanError> {
    plan_rust_file_in(file, rust, &CrateIndex::default(), selection, keep)
}

/// [`plan_rust_file`] for a file of a run whose pass-1 facts are in `index`
/// (`lang_rust::collect_facts` of each file, merged by `CrateIndex::build`): transaction
/// types, begins and closure helpers of other files are known. Every round re-analyses
/// with the same index.
pub fn plan_rust_file_in(
    file: SourceFile,
    rust: RustFile,
    index: &CrateIndex,
    selection: Selection,
    keep: impl Fn(&PlannedFinding) -> bool,
) -> Result<FilePlan, PlanError> {
    let analysis = lang_rust::analyze_in(&file.text, rust.edition, rust.is_test_code, index);
    if let Some(e) = analysis.parse_errors.first() {
        let at = offset(e.offset);
        return Err(PlanError::Input(InputError::Syntax {
            line: file.line_of(at),
            column: file.column_of(at),
            message: e.message.clone(),
        }));
    }
    let mut planned: Vec<PlannedFinding> = analysis
        .findings
        .iter()
        .map(|f| planned_finding(&file, f, None))
        .collect();
    let mut text = file.text.clone();
    let mut maps: Vec<OffsetMap> = vec![];
    let mut current = analysis;
    for _ in 0..MAX_ROUNDS {
        let chosen = choose(&file, &current, &maps, &mut planned, selection, &keep);
        if chosen.is_empty() {
            return Ok(FilePlan {
                file,
                findings: planned,
                rewritten: text,
                not_database: vec![],
                blocks: None,
            });
        }
        let (next, map) = apply_round(&text, &current, &chosen, &planned)?;
        maps.push(map);
        for (_, i) in &chosen {
            planned[*i].applied = true;
        }
        text = next;
        current = lang_rust::analyze_in(&text, rust.edition, rust.is_test_code, index);
        if let Some(e) = current.parse_errors.first() {
            return Err(PlanError::Internal {
                line: planned[chosen[0].1].line,
                message: format!("does not parse ({})", e.message),
            });
        }
    }
    Err(PlanError::Internal {
        line: planned.first().map_or(0, |p| p.line),
        message: format!("does not reach a fixed point in {MAX_ROUNDS} rounds"),
    })
}

/// The findings of this round to apply, as (index into `analysis.findings`, index into
/// `planned`): selected, accepted by `keep`, not overlapping one chosen before. A finding
/// that continues no planned one is added to `planned` as a follow-up.
fn choose(
    file: &SourceFile,
    analysis: &Analysis,
    maps: &[OffsetMap],
    planned: &mut Vec<PlannedFinding>,
    selection: Selection,
    keep: &dyn Fn(&PlannedFinding) -> bool,
) -> Vec<(usize, usize)> {
    let back = |at: usize| {
        let mut at = offset(at);
        for m in maps.iter().rev() {
            at = m.back(at);
        }
        at
    };
    let mut chosen: Vec<(usize, usize)> = vec![];
    let mut taken: Vec<Range<usize>> = vec![];
    for (n, f) in analysis.findings.iter().enumerate() {
        if !allows(selection, f) {
            continue;
        }
        let line = file.line_of(back(f.range.start));
        let i = match planned
            .iter()
            .position(|p| !p.applied && p.kind == f.kind && p.line == line)
        {
            Some(i) => i,
            None if maps.is_empty() => continue,
            None => {
                let follows = uncovered_by(planned, line);
                planned.push(planned_finding(file, f, Some((line, follows))));
                planned.len() - 1
            }
        };
        let hull = edits_hull(f);
        if !keep(&planned[i]) || taken.iter().any(|t| overlaps(t, &hull)) {
            continue;
        }
        taken.push(hull);
        chosen.push((n, i));
    }
    chosen
}

/// Apply the chosen findings' edits to `text`: the new text and the map back.
fn apply_round(
    text: &str,
    analysis: &Analysis,
    chosen: &[(usize, usize)],
    planned: &[PlannedFinding],
) -> Result<(String, OffsetMap), PlanError> {
    let mut edits: Vec<Edit> = chosen
        .iter()
        .flat_map(|(n, _)| analysis.findings[*n].edits.iter())
        .map(|e| Edit {
            range: TextRange::new(offset(e.range.start), offset(e.range.end)),
            text: e.replacement.clone(),
        })
        .collect();
    let map = OffsetMap::new(&edits);
    let next = edit::apply(text, &mut edits).map_err(|m| PlanError::Internal {
        line: planned[chosen[0].1].line,
        message: format!("does not apply ({m})"),
    })?;
    Ok((next, map))
}

fn allows(selection: Selection, f: &lang_rust::Finding) -> bool {
    !f.edits.is_empty() && selection.takes(f.safety)
}

/// A front-end finding as planned; `follow_up` is (its original line, the line of the
/// rewrite that uncovered it).
fn planned_finding(
    file: &SourceFile,
    f: &lang_rust::Finding,
    follow_up: Option<(usize, usize)>,
) -> PlannedFinding {
    let start = offset(f.range.start);
    PlannedFinding {
        line: follow_up.map_or(f.line, |(line, _)| line),
        column: if follow_up.is_some() {
            1
        } else {
            file.column_of(start)
        },
        kind: f.kind,
        safety: f.safety,
        reason: f.reason.clone(),
        applied: false,
        follows: follow_up.map(|(_, by)| by),
        test_code: f.in_test,
        // A Rust finding's range is its block, which holds all of its edits.
        edits_span: None,
        range: if follow_up.is_some() {
            TextRange::empty(start)
        } else {
            TextRange::new(start, offset(f.range.end))
        },
    }
}

/// The line of the last applied finding at or before `line` (else the first applied).
fn uncovered_by(planned: &[PlannedFinding], line: usize) -> usize {
    let applied = || planned.iter().filter(|p| p.applied && p.follows.is_none());
    applied()
        .filter(|p| p.line <= line)
        .map(|p| p.line)
        .max()
        .or_else(|| applied().map(|p| p.line).min())
        .unwrap_or(line)
}

fn edits_hull(f: &lang_rust::Finding) -> Range<usize> {
    let start = f.edits.iter().map(|e| e.range.start).min().unwrap_or(0);
    let end = f.edits.iter().map(|e| e.range.end).max().unwrap_or(0);
    start..end
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end || a == b
}

fn offset(at: usize) -> TextSize {
    TextSize::try_from(at).expect("files are smaller than 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANUAL: &str = "fn save(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (1)\", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
";

    fn plan(text: &str, selection: Selection) -> FilePlan {
        let file = SourceFile::from_text(Path::new("a.rs"), text.to_string());
        plan_rust_file(file, RustFile::default(), selection, |_| true).unwrap()
    }

    #[test]
    fn a_safe_rewrite_is_applied_and_the_result_plans_nothing() {
        let p = plan(MANUAL, Selection::SafeOnly);
        assert!(p.findings.iter().any(|f| f.applied), "{:?}", p.findings);
        assert!(!p.rewritten.contains("rollback"), "{}", p.rewritten);
        let again = plan(&p.rewritten, Selection::SafeAndReview);
        assert!(again.findings.iter().all(|f| !f.applied));
        assert_eq!(again.rewritten, p.rewritten);
    }

    #[test]
    fn keep_can_refuse_every_rewrite() {
        let file = SourceFile::from_text(Path::new("a.rs"), MANUAL.to_string());
        let p = plan_rust_file(file, RustFile::default(), Selection::SafeAndReview, |_| {
            false
        })
        .unwrap();
        assert!(!p.findings.is_empty());
        assert!(p.findings.iter().all(|f| !f.applied));
        assert_eq!(p.rewritten, MANUAL);
    }

    #[test]
    fn an_index_makes_another_files_closure_helper_the_target() {
        let helper = "pub fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction()?;
    let v = f(&tx)?;
    tx.commit()?;
    Ok(v)
}
";
        let text = format!("use crate::db::with_tx;\n{MANUAL}");
        let index = CrateIndex::build([lang_rust::collect_facts(helper, Edition::E2021)]);
        let file = SourceFile::from_text(Path::new("a.rs"), text.clone());
        let p = plan_rust_file_in(
            file,
            RustFile::default(),
            &index,
            Selection::SafeAndReview,
            |_| true,
        )
        .unwrap();
        assert!(p
            .findings
            .iter()
            .any(|f| f.applied && f.safety == analyzer::Safety::Review));
        assert!(
            p.rewritten.contains("    with_tx(conn, |tx| {\n"),
            "{}",
            p.rewritten
        );
        // Without the index the same file gets the drop form.
        let alone = plan(&text, Selection::SafeAndReview);
        assert!(
            !alone.rewritten.contains("with_tx(conn"),
            "{}",
            alone.rewritten
        );
        assert!(!alone.rewritten.contains("rollback"), "{}", alone.rewritten);
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_input_error_with_its_line() {
        let file = SourceFile::from_text(Path::new("a.rs"), "fn f() {\n    let = ;\n}\n".into());
        let err =
            plan_rust_file(file, RustFile::default(), Selection::SafeOnly, |_| true).unwrap_err();
        assert!(
            matches!(err, PlanError::Input(InputError::Syntax { line: 2, .. })),
            "{err}"
        );
    }
}
