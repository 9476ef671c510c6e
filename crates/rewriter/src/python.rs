//! Planning a Python file: the analyzer's findings and rewrites, lowered to text edits
//! and applied in rounds to a fixed point (nested blocks, follow-ups), the imports the
//! rewrites need added and the ones they leave unused removed, every round's output
//! re-parsed, and the result checked for errors CPython's compiler would raise.

use std::collections::{HashMap, HashSet};

use analyzer::{Finding, Import, InputError, Kind, ProjectIndex, SourceFile};
use codemod_core::reason::renumber;
use ruff_python_ast::ModModule;
use ruff_python_parser::Parsed;
use ruff_text_size::{TextRange, TextSize};

use crate::edit::{self, OffsetMap};
use crate::{imports, FilePlan, PlanError, PlannedFinding, Selection, MAX_ROUNDS};

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
    plan_python(file, index, selection, &keep, false)
}

/// Like `plan_file`, with the blocks of its findings described (`FilePlan::blocks`) from
/// the parse the findings come from: `audit` and `report`.
pub fn plan_file_described(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
) -> Result<FilePlan, PlanError> {
    plan_python(file, index, selection, &|_| true, true)
}

fn plan_python(
    file: SourceFile,
    index: &ProjectIndex,
    selection: Selection,
    keep: &dyn Fn(&PlannedFinding) -> bool,
    describe: bool,
) -> Result<FilePlan, PlanError> {
    let parsed = analyzer::parse(&file)?;
    let (original, not_database) = analyzer::analyze_counting(&file, &parsed, index);
    let mut rounds = Rounds::new(&file, &original, selection, keep);
    let blocks = describe.then(|| analyzer::blocks::describe(&file, &parsed, &rounds.planned));
    drop(parsed);
    for round in 0..MAX_ROUNDS {
        if !rounds.run(round, index)? {
            break;
        }
    }
    let Rounds {
        planned,
        text,
        maps,
        ..
    } = rounds;
    if text != file.text {
        refuse_added_compile_errors(&file, &text, &maps)?;
    }
    Ok(FilePlan {
        file,
        findings: planned,
        rewritten: text,
        not_database,
        blocks,
    })
}

/// The state carried from one round to the next.
struct Rounds<'a> {
    file: &'a SourceFile,
    /// The findings of the original text.
    original: &'a [Finding],
    selection: Selection,
    keep: &'a dyn Fn(&PlannedFinding) -> bool,
    planned: Vec<PlannedFinding>,
    /// Indices into `planned` of the rewrites still to apply.
    pending: Vec<usize>,
    /// The original rewrites' spans, to tie a follow-up to the rewrite that uncovered it.
    hulls: Vec<Option<TextRange>>,
    /// The text as rewritten so far.
    text: String,
    /// Maps from each round's text back to the previous one, newest last.
    maps: Vec<OffsetMap>,
}

impl<'a> Rounds<'a> {
    fn new(
        file: &'a SourceFile,
        original: &'a [Finding],
        selection: Selection,
        keep: &'a dyn Fn(&PlannedFinding) -> bool,
    ) -> Self {
        let hulls: Vec<Option<TextRange>> = original.iter().map(hull).collect();
        let planned: Vec<PlannedFinding> = original
            .iter()
            .zip(&hulls)
            .map(|(f, span)| PlannedFinding {
                line: f.line,
                column: f.column,
                kind: f.kind,
                safety: f.safety,
                reason: f.reason.clone(),
                applied: false,
                follows: None,
                // Python test code is known by its file's path.
                test_code: false,
                range: f.range,
                edits_span: *span,
            })
            .collect();
        let pending = (0..original.len())
            .filter(|&i| allows(selection, &original[i]) && keep(&planned[i]))
            .collect();
        Rounds {
            file,
            original,
            selection,
            keep,
            planned,
            pending,
            hulls,
            text: file.text.clone(),
            maps: vec![],
        }
    }

    /// An offset of the current round's text in the original text.
    fn back(&self, at: TextSize) -> TextSize {
        self.maps.iter().rev().fold(at, |at, m| m.back(at))
    }

    /// One round: re-analyze the current text (the original's findings in round 0), add
    /// the follow-ups it offers, apply the outermost pending rewrites. False when there
    /// was nothing left to apply.
    fn run(&mut self, round: usize, index: &ProjectIndex) -> Result<bool, PlanError> {
        if round == 0 && self.pending.is_empty() {
            return Ok(false);
        }
        let current = if round == 0 {
            self.file.clone()
        } else {
            SourceFile::from_text(&self.file.path, self.text.clone())
        };
        let parsed = analyzer::parse(&current).map_err(|e| self.internal(e))?;
        let analyzed;
        let findings: &[Finding] = if round == 0 {
            self.original
        } else {
            analyzed = analyzer::analyze(&current, &parsed, index);
            &analyzed
        };
        if round > 0 {
            self.add_follow_ups(&current, findings);
            if self.pending.is_empty() {
                return Ok(false);
            }
        }
        let chosen = self.choose(findings);
        if chosen.is_empty() {
            return Ok(false);
        }
        let next = self.rewrite(&current, &parsed, &chosen)?;
        let done: HashSet<usize> = chosen.iter().map(|(i, _)| *i).collect();
        for i in &done {
            self.planned[*i].applied = true;
        }
        self.pending.retain(|p| !done.contains(p));
        self.text = next;
        Ok(true)
    }

    /// Plan the follow-ups of this round's findings (`current` is this round's text).
    fn add_follow_ups(&mut self, current: &SourceFile, findings: &[Finding]) {
        let origin = |f: &Finding| self.back(f.range.start());
        // "line N" in a follow-up's reason counts lines of this round's text.
        let line_back = |n: usize| self.file.line_of(self.back(current.line_start(n)));
        let new = follow_ups(
            self.file,
            findings,
            self.selection,
            &origin,
            &line_back,
            &self.hulls,
            &self.planned,
        );
        for new in new {
            if (self.keep)(&new) {
                self.pending.push(self.planned.len());
            }
            self.planned.push(new);
        }
    }

    /// This round's rewrites matched to the pending findings they continue (by kind and
    /// original line; a map keeps files with thousands of blocks linear), outermost
    /// first; a rewrite overlapping a chosen one waits for the next round.
    fn choose<'f>(&self, findings: &'f [Finding]) -> Vec<(usize, &'f Finding)> {
        let mut by_line: HashMap<(Kind, usize), Vec<usize>> = HashMap::new();
        for &i in &self.pending {
            by_line
                .entry((self.planned[i].kind, self.planned[i].line))
                .or_default()
                .push(i);
        }
        let mut candidates: Vec<(usize, &Finding, TextRange)> = vec![];
        for f in findings.iter().filter(|f| allows(self.selection, f)) {
            let line = self.file.line_of(self.back(f.range.start()));
            let Some(slot) = by_line.get_mut(&(f.kind, line)) else {
                continue;
            };
            let Some(i) = slot.pop() else { continue };
            let Some(hull) = hull(f) else { continue };
            candidates.push((i, f, hull));
        }
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
        chosen
    }

    /// Apply the chosen rewrites to `current` (parsed as `parsed`), then their imports;
    /// the new text, verified to parse.
    fn rewrite(
        &mut self,
        current: &SourceFile,
        parsed: &Parsed<ModModule>,
        chosen: &[(usize, &Finding)],
    ) -> Result<String, PlanError> {
        let line = self.planned[chosen[0].0].line;
        let mut edits = vec![];
        let strings = edit::StringSpans::new(parsed.tokens());
        for (_, f) in chosen {
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
        let map = OffsetMap::new(&edits);
        let next = edit::apply(&current.text, &mut edits).map_err(|m| does_not_apply(line, m))?;
        self.maps.push(map);
        let (needed, maybe_unused) = round_imports(chosen);
        let mut next = self.add_imports(next, &needed, current.newline, line)?;
        for name in maybe_unused {
            // Unused before the rewrite: not ours to touch.
            if imports::uses(&current.text, parsed, name) > 0 {
                next = self.remove_if_unused(next, name, current.newline, line)?;
            }
        }
        // Test-only fault hook (crates/codemod/tests/faults.rs): make our own output
        // unparsable so the refusal path of the verification below can be exercised.
        if let Some(junk) = corrupt_rewrite_for_tests() {
            next.push_str(junk);
        }
        analyzer::parse_text(&next).map_err(|e| internal_at(line, e))?;
        Ok(next)
    }

    /// `text` with each of `needed` imported.
    fn add_imports(
        &mut self,
        mut text: String,
        needed: &[&Import],
        newline: &str,
        line: usize,
    ) -> Result<String, PlanError> {
        for imp in needed {
            let p = analyzer::parse_text(&text).map_err(|e| internal_at(line, e))?;
            let es = imports::add(&text, &p, imp, newline);
            text = self.apply_more(text, es, line)?;
        }
        Ok(text)
    }

    /// `text` without the import of `name` when nothing uses the name any more.
    fn remove_if_unused(
        &mut self,
        text: String,
        name: &str,
        newline: &str,
        line: usize,
    ) -> Result<String, PlanError> {
        let p = analyzer::parse_text(&text).map_err(|e| internal_at(line, e))?;
        if imports::uses(&text, &p, name) > 0 {
            return Ok(text);
        }
        let es = imports::remove(&text, &p, name, newline);
        self.apply_more(text, es, line)
    }

    /// Apply further edits of this round, keeping the map back.
    fn apply_more(
        &mut self,
        text: String,
        mut edits: Vec<edit::Edit>,
        line: usize,
    ) -> Result<String, PlanError> {
        if edits.is_empty() {
            return Ok(text);
        }
        let map = OffsetMap::new(&edits);
        let next = edit::apply(&text, &mut edits).map_err(|m| does_not_apply(line, m))?;
        self.maps.push(map);
        Ok(next)
    }

    fn internal(&self, e: InputError) -> PlanError {
        let line = self.pending.first().map_or(0, |&i| self.planned[i].line);
        internal_at(line, e)
    }
}

/// The imports the chosen rewrites need and the names they may leave unused, each once:
/// a file with thousands of blocks would otherwise re-parse the whole text per block
/// (quadratic; faults.rs).
fn round_imports<'f>(chosen: &[(usize, &'f Finding)]) -> (Vec<&'f Import>, Vec<&'f String>) {
    let mut needed: Vec<&Import> = vec![];
    let mut unused: Vec<&String> = vec![];
    for (_, f) in chosen {
        let rw = f
            .rewrite
            .as_ref()
            .expect("allowed findings carry a rewrite");
        for imp in &rw.imports {
            if !needed.contains(&imp) {
                needed.push(imp);
            }
        }
        for name in &rw.maybe_unused {
            if !unused.contains(&name) {
                unused.push(name);
            }
        }
    }
    (needed, unused)
}

/// Whether the finding's rewrite is applied under `selection`.
fn allows(selection: Selection, f: &Finding) -> bool {
    f.rewrite.is_some() && selection.takes(f.safety)
}

fn does_not_apply(line: usize, message: String) -> PlanError {
    PlanError::Internal {
        line,
        message: format!("does not apply ({message})"),
    }
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
    for f in findings.iter().filter(|f| allows(selection, f)) {
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
                    renumber(&f.reason, &f.reason_lines, line_back)
                ),
                None => format!(
                    "once the other rewrites of this file are applied: {}",
                    renumber(&f.reason, &f.reason_lines, line_back)
                ),
            },
            applied: false,
            follows: Some(follows),
            test_code: false,
            edits_span: None,
            range: TextRange::new(start, end.min(TextSize::of(file.text.as_str()))),
        };
        out.push(new);
    }
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
