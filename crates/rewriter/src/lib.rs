//! The rewriter: lower a file's `Rewrite`s to text edits, apply them, verify the result
//! parses, render diffs, write atomically.
//!
//! Rewrites are applied in rounds: each round re-parses, re-analyzes and applies the
//! rewrites whose edits do not overlap; a nested block deferred by its outer block is
//! applied in the next round, on the text the outer rewrite produced. A rewrite the new
//! text offers that the original did not (a commit left inside the guard a block became)
//! is a follow-up: planned and applied too, so the result is a fixed point and a second
//! run plans nothing.

mod edit;
pub mod frontend;
mod imports;
mod rust;
mod rust_crate;

use analyzer::{Finding, InputError, Kind, ProjectIndex, Safety, SourceFile};
use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

pub use codemod_core::{lock_project, write_atomic, ProjectBusy, ProjectLock, WriteError};
pub use edit::{Edit, OffsetMap};
pub use frontend::plan_source;
pub use rust::{plan_rust_file, plan_rust_file_in, RustFile};
pub use rust_crate::rust_file;

/// Which rewrites to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    SafeOnly,
    SafeAndReview,
}

impl Selection {
    fn allows(self, f: &Finding) -> bool {
        f.rewrite.is_some()
            && match f.safety {
                Safety::Safe => true,
                Safety::Review => self == Selection::SafeAndReview,
                Safety::Manual => false,
            }
    }
}

/// A finding as planned: the class, the reason and whether its rewrite is in the new text.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFinding {
    pub line: usize,
    pub column: usize,
    pub kind: Kind,
    pub safety: Safety,
    pub reason: String,
    /// The rewrite is part of `FilePlan::rewritten`.
    pub applied: bool,
    /// A follow-up: found only once the rewrite of this line (an earlier finding of the
    /// plan) had been applied. Not a block of the original text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follows: Option<usize>,
    /// The statement the finding is about, as offsets into the original text (no BOM).
    #[serde(skip)]
    pub range: TextRange,
}

/// The plan of one file: findings and the rewritten text.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub file: SourceFile,
    pub findings: Vec<PlannedFinding>,
    /// The new text (no BOM; `file.to_bytes` restores it). Equal to `file.text` when nothing
    /// is applied.
    pub rewritten: String,
    /// Calls named like session factories left out: they are no SQLAlchemy sessions.
    pub not_database: Vec<analyzer::NotDatabase>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Input(#[from] InputError),
    /// Our own output does not parse or compile: a bug in the tool, never written.
    /// `message` completes "the rewrite of line N ...".
    #[error("internal error, please report: the rewrite of line {line} {message}")]
    Internal { line: usize, message: String },
}

impl FilePlan {
    pub fn is_changed(&self) -> bool {
        self.rewritten != self.file.text
    }

    /// Unified diff with `a/<path>` and `b/<path>` headers (`git apply`-able).
    pub fn unified_diff(&self, display_path: &str) -> String {
        if !self.is_changed() {
            return String::new();
        }
        // With the BOM on both sides, a patch of a file's first line applies byte for byte.
        let bom = if self.file.bom { "\u{feff}" } else { "" };
        let old = format!("{bom}{}", self.file.text);
        let new = format!("{bom}{}", self.rewritten);
        codemod_core::diff::unified(
            &old,
            &new,
            &format!("a/{display_path}"),
            &format!("b/{display_path}"),
        )
    }

    /// The bytes to write: BOM restored.
    pub fn new_bytes(&self) -> Vec<u8> {
        self.file.to_bytes(&self.rewritten)
    }
}

/// Rounds of rewriting a file can take (nesting depth of blocks).
const MAX_ROUNDS: usize = 8;

/// Parse, analyze, apply the selected rewrites, verify. `Err(Input)` for files that are not
/// valid Python; `Err(Internal)` if our output would not parse.
pub fn plan_file(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
) -> Result<FilePlan, PlanError> {
    plan_file_selected(file, index, selection, |_| true)
}

/// Like `plan_file`, applying only the rewrites whose finding `keep` accepts (the others are
/// reported, not applied): `apply -i` and reviewers choosing rewrite by rewrite.
pub fn plan_file_selected(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
    keep: impl Fn(&PlannedFinding) -> bool,
) -> Result<FilePlan, PlanError> {
    let parsed = analyzer::parse(&file)?;
    let (original, not_database) = analyzer::analyze_counting(&file, &parsed, index);
    drop(parsed);
    let mut planned: Vec<PlannedFinding> = original
        .iter()
        .map(|f| PlannedFinding {
            line: f.line,
            column: f.column,
            kind: f.kind,
            safety: f.safety,
            reason: f.reason.clone(),
            applied: false,
            follows: None,
            range: f.range,
        })
        .collect();
    let mut pending: Vec<usize> = (0..original.len())
        .filter(|&i| selection.allows(&original[i]) && keep(&planned[i]))
        .collect();
    // The original rewrites' spans, to tie a follow-up to the rewrite that uncovered it.
    let hulls: Vec<Option<TextRange>> = original.iter().map(hull).collect();
    let mut text = file.text.clone();
    // Maps from each round's text back to the previous one, newest last.
    let mut maps: Vec<OffsetMap> = vec![];
    for round in 0..MAX_ROUNDS {
        if round == 0 && pending.is_empty() {
            break;
        }
        let current = if round == 0 {
            file.clone()
        } else {
            SourceFile::from_text(&file.path, text.clone())
        };
        let parsed = analyzer::parse(&current).map_err(|e| internal(&planned, &pending, e))?;
        let findings = if round == 0 {
            original.clone()
        } else {
            analyzer::analyze(&current, &parsed, index)
        };
        // Where each of this round's findings starts in the original text.
        // An offset of this round's text in the original text.
        let back = |mut at: TextSize| {
            for m in maps.iter().rev() {
                at = m.back(at);
            }
            at
        };
        let origin = |f: &Finding| back(f.range.start());
        if round > 0 {
            // "line N" in a follow-up's reason counts lines of this round's text.
            let line_back = |n: usize| file.line_of(back(current.line_start(n)));
            for new in follow_ups(
                &file, &findings, selection, &origin, &line_back, &hulls, &planned,
            ) {
                if keep(&new) {
                    pending.push(planned.len());
                }
                planned.push(new);
            }
            if pending.is_empty() {
                break;
            }
        }
        // Match this round's rewrites to the planned findings they continue (by kind and
        // original line; a map keeps files with thousands of blocks linear).
        let mut by_line: std::collections::HashMap<(Kind, usize), Vec<usize>> =
            std::collections::HashMap::new();
        for &i in &pending {
            by_line
                .entry((planned[i].kind, planned[i].line))
                .or_default()
                .push(i);
        }
        let mut candidates: Vec<(usize, &Finding, TextRange)> = vec![];
        for f in findings.iter().filter(|f| selection.allows(f)) {
            let line = file.line_of(origin(f));
            let Some(slot) = by_line.get_mut(&(f.kind, line)) else {
                continue;
            };
            let Some(i) = slot.pop() else { continue };
            let Some(hull) = hull(f) else { continue };
            candidates.push((i, f, hull));
        }
        // Outermost first; a rewrite overlapping a chosen one waits for the next round.
        candidates.sort_by_key(|(_, _, h)| (h.start(), std::cmp::Reverse(h.end())));
        let mut chosen: Vec<(usize, &Finding)> = vec![];
        let mut taken_end = TextSize::default();
        for (i, f, h) in candidates {
            if !chosen.is_empty() && h.start() < taken_end {
                continue;
            }
            taken_end = h.end();
            chosen.push((i, f));
        }
        if chosen.is_empty() {
            break;
        }
        let mut edits = vec![];
        let strings = edit::StringSpans::new(parsed.tokens());
        for (_, f) in &chosen {
            let rw = f
                .rewrite
                .as_ref()
                .expect("allowed findings carry a rewrite");
            edits.extend(edit::lower(
                &current.text,
                parsed.tokens(),
                &strings,
                current.newline,
                &rw.ops,
            ));
        }
        let mut edits_for_map = edits.clone();
        let next = edit::apply(&current.text, &mut edits).map_err(|m| PlanError::Internal {
            line: planned[chosen[0].0].line,
            message: format!("does not apply ({m})"),
        })?;
        maps.push(OffsetMap::new(&edits_for_map));
        edits_for_map.clear();
        let mut next_text = next;
        // Imports: add what the rewrites need, then drop what they left unused.
        // Each distinct import / name once per round: a file with thousands of blocks
        // would otherwise re-parse the whole text per block (quadratic; faults.rs).
        let mut round_imports: Vec<&analyzer::Import> = vec![];
        let mut round_unused: Vec<&String> = vec![];
        for (_, f) in &chosen {
            let rw = f
                .rewrite
                .as_ref()
                .expect("allowed findings carry a rewrite");
            for imp in &rw.imports {
                if !round_imports.contains(&imp) {
                    round_imports.push(imp);
                }
            }
            for name in &rw.maybe_unused {
                if !round_unused.contains(&name) {
                    round_unused.push(name);
                }
            }
        }
        {
            for imp in round_imports {
                let p = analyzer::parse_text(&next_text)
                    .map_err(|e| internal_at(planned[chosen[0].0].line, e))?;
                let mut es = imports::add(&next_text, &p, imp, current.newline);
                if !es.is_empty() {
                    let m = OffsetMap::new(&es);
                    next_text =
                        edit::apply(&next_text, &mut es).map_err(|m| PlanError::Internal {
                            line: planned[chosen[0].0].line,
                            message: format!("does not apply ({m})"),
                        })?;
                    maps.push(m);
                }
            }
        }
        let before = analyzer::parse(&current).map_err(|e| internal(&planned, &pending, e))?;
        {
            for name in round_unused {
                if imports::uses(&current.text, &before, name) == 0 {
                    continue; // unused before the rewrite: not ours to touch
                }
                let p = analyzer::parse_text(&next_text)
                    .map_err(|e| internal_at(planned[chosen[0].0].line, e))?;
                if imports::uses(&next_text, &p, name) > 0 {
                    continue;
                }
                let mut es = imports::remove(&next_text, &p, name, current.newline);
                if !es.is_empty() {
                    let m = OffsetMap::new(&es);
                    next_text =
                        edit::apply(&next_text, &mut es).map_err(|m| PlanError::Internal {
                            line: planned[chosen[0].0].line,
                            message: format!("does not apply ({m})"),
                        })?;
                    maps.push(m);
                }
            }
        }
        // Test-only fault hook (crates/codemod/tests/faults.rs): make our own output
        // unparsable so the refusal path of the verification below can be exercised.
        if let Some(junk) = corrupt_rewrite_for_tests() {
            next_text.push_str(junk);
        }
        analyzer::parse_text(&next_text).map_err(|e| internal_at(planned[chosen[0].0].line, e))?;
        let done: std::collections::HashSet<usize> = chosen.iter().map(|(i, _)| *i).collect();
        for i in &done {
            planned[*i].applied = true;
        }
        pending.retain(|p| !done.contains(p));
        text = next_text;
    }
    if text != file.text {
        refuse_added_compile_errors(&file, &text, &maps)?;
    }
    Ok(FilePlan {
        file,
        findings: planned,
        rewritten: text,
        not_database,
    })
}

/// The rewrites this round's text offers that no planned finding accounts for: what an
/// applied rewrite left behind (a commit now inside a guard). Each is tied to the applied
/// rewrite whose edits cover it. `origin` maps a finding to its original offset,
/// `line_back` a line of this round's text to the original's.
fn follow_ups(
    file: &SourceFile,
    findings: &[Finding],
    selection: Selection,
    origin: &dyn Fn(&Finding) -> TextSize,
    line_back: &dyn Fn(usize) -> usize,
    hulls: &[Option<TextRange>],
    planned: &[PlannedFinding],
) -> Vec<PlannedFinding> {
    let mut out = vec![];
    let mut known: std::collections::HashSet<(Kind, usize)> =
        planned.iter().map(|p| (p.kind, p.line)).collect();
    for f in findings.iter().filter(|f| selection.allows(f)) {
        let start = origin(f);
        let line = file.line_of(start);
        if !known.insert((f.kind, line)) {
            continue;
        }
        // The applied rewrite whose edits cover it (in original offsets).
        let parent = hulls
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.map(|h| (i, h)))
            .filter(|&(i, h)| planned[i].applied && h.contains_inclusive(start))
            .min_by_key(|&(_, h)| h.len())
            .map(|(i, _)| planned[i].line);
        let end = start + f.range.len();
        let follows = parent.unwrap_or(line);
        let new = PlannedFinding {
            line,
            column: file.column_of(start),
            kind: f.kind,
            safety: f.safety,
            reason: match parent {
                Some(p) => format!(
                    "once line {p} is rewritten: {}",
                    renumber_lines(&f.reason, line_back)
                ),
                None => format!(
                    "once the other rewrites of this file are applied: {}",
                    renumber_lines(&f.reason, line_back)
                ),
            },
            applied: false,
            follows: Some(follows),
            range: TextRange::new(start, end.min(TextSize::of(file.text.as_str()))),
        };
        out.push(new);
    }
    out
}

/// `line N` and `lines N-M` in `reason` with the numbers passed through `back`.
fn renumber_lines(reason: &str, back: &dyn Fn(usize) -> usize) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(k) = rest.find("line") {
        let after = &rest[k + "line".len()..];
        let word_start = !rest[..k]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let skip = if !word_start {
            0
        } else if after.starts_with("s ") {
            2
        } else if after.starts_with(' ') {
            1
        } else {
            0
        };
        let (head, mut tail) = rest.split_at(k + "line".len() + skip);
        out.push_str(head);
        if skip > 0 {
            // N, or N-M
            loop {
                let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    break;
                }
                let n: usize = tail[..digits].parse().unwrap_or_default();
                out.push_str(&back(n).to_string());
                tail = &tail[digits..];
                match tail.strip_prefix('-') {
                    Some(t) if t.starts_with(|c: char| c.is_ascii_digit()) => {
                        out.push('-');
                        tail = t;
                    }
                    _ => break,
                }
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The span a rewrite's operations cover, for overlap checks.
fn hull(f: &Finding) -> Option<TextRange> {
    let rw = f.rewrite.as_ref()?;
    let mut start: Option<TextSize> = None;
    let mut end: Option<TextSize> = None;
    for op in &rw.ops {
        let r = match op {
            analyzer::EditOp::Replace { range, .. }
            | analyzer::EditOp::Indent { range, .. }
            | analyzer::EditOp::DeleteLines { range, .. } => *range,
            analyzer::EditOp::Insert { at, .. } => TextRange::empty(*at),
        };
        start = Some(start.map_or(r.start(), |s| s.min(r.start())));
        end = Some(end.map_or(r.end(), |e| e.max(r.end())));
    }
    Some(TextRange::new(start?, end?))
}

fn internal(planned: &[PlannedFinding], pending: &[usize], e: InputError) -> PlanError {
    let line = pending.first().map_or(0, |&i| planned[i].line);
    internal_at(line, e)
}

fn internal_at(line: usize, e: InputError) -> PlanError {
    PlanError::Internal {
        line,
        message: format!("does not parse ({e})"),
    }
}

/// The parser accepts what CPython's compiler refuses (`await` in a sync function,
/// `return` at module level...): the output may have no such error the input did not.
fn refuse_added_compile_errors(
    file: &SourceFile,
    text: &str,
    maps: &[OffsetMap],
) -> Result<(), PlanError> {
    let before = analyzer::parse(file).map_err(|e| internal_at(0, e))?;
    let after = analyzer::parse_text(text).map_err(|e| internal_at(0, e))?;
    let Some((error, at)) =
        analyzer::compile_check::added_compile_error(before.syntax(), after.syntax())
    else {
        return Ok(());
    };
    let original = maps.iter().rev().fold(at, |at, m| m.back(at));
    Err(PlanError::Internal {
        line: file.line_of(original),
        message: format!(
            "would not compile: {} (CPython refuses it)",
            error.describe()
        ),
    })
}

/// Test-only: `CODEMOD_TEST_CORRUPT_REWRITE=1` appends an unbalanced `(` to every round's
/// output before it is verified (`=compile`: a module-level `return`, which parses but
/// does not compile), so the refusal paths can be tested end to end. Read only when a
/// rewrite is about to be verified; never set in normal use.
fn corrupt_rewrite_for_tests() -> Option<&'static str> {
    match std::env::var_os("CODEMOD_TEST_CORRUPT_REWRITE")?.to_str()? {
        "1" => Some("(\n"),
        "compile" => Some("\nreturn\n"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::renumber_lines;

    #[test]
    fn renumbers_single_lines_and_ranges_only() {
        let back = |n: usize| n + 100;
        assert_eq!(
            renumber_lines("commit at line 9; lines 3-4 and the outline 5", &back),
            "commit at line 109; lines 103-104 and the outline 5"
        );
        assert_eq!(renumber_lines("line x, lines", &back), "line x, lines");
    }
}
