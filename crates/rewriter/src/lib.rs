//! The rewriter: lower a file's `Rewrite`s to text edits, apply them, verify the result
//! parses, render diffs, write atomically.
//!
//! Rewrites are applied in rounds: each round re-parses, re-analyzes and applies the
//! rewrites whose edits do not overlap; a nested block deferred by its outer block is
//! applied in the next round, on the text the outer rewrite produced.

mod edit;
mod imports;
mod write;

use analyzer::{Finding, InputError, Kind, ProjectIndex, Safety, SourceFile};
use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

pub use edit::{Edit, OffsetMap};
pub use write::{write_atomic, WriteError};

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
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Input(#[from] InputError),
    /// Our own output does not parse: a bug in the tool, never written.
    #[error(
        "internal error, please report: the rewrite of line {line} does not parse ({message})"
    )]
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
        let diff = similar::TextDiff::from_lines(self.file.text.as_str(), self.rewritten.as_str());
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{display_path}"), &format!("b/{display_path}"))
            .to_string()
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
    let parsed = analyzer::parse(&file)?;
    let original = analyzer::analyze(&file, &parsed, index);
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
            range: f.range,
        })
        .collect();
    let mut pending: Vec<usize> = (0..original.len())
        .filter(|&i| selection.allows(&original[i]))
        .collect();
    let mut text = file.text.clone();
    // Maps from each round's text back to the previous one, newest last.
    let mut maps: Vec<OffsetMap> = vec![];
    for round in 0..MAX_ROUNDS {
        if pending.is_empty() {
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
        // Match this round's rewrites to the original findings they continue.
        let mut candidates: Vec<(usize, &Finding, TextRange)> = vec![];
        for f in findings.iter().filter(|f| selection.allows(f)) {
            let mut at = f.range.start();
            for m in maps.iter().rev() {
                at = m.back(at);
            }
            let line = file.line_of(at);
            let Some(pos) = pending
                .iter()
                .position(|&i| original[i].kind == f.kind && original[i].line == line)
            else {
                continue;
            };
            let Some(hull) = hull(f) else { continue };
            candidates.push((pending[pos], f, hull));
        }
        candidates.sort_by_key(|(_, _, h)| (h.start(), std::cmp::Reverse(h.end())));
        let mut chosen: Vec<(usize, &Finding)> = vec![];
        let mut taken: Vec<TextRange> = vec![];
        for (i, f, h) in candidates {
            if taken.iter().any(|t| {
                t.intersect(h).is_some_and(|x| !x.is_empty())
                    || t.contains_range(h)
                    || h.contains_range(*t)
            }) {
                continue;
            }
            taken.push(h);
            chosen.push((i, f));
        }
        if chosen.is_empty() {
            break;
        }
        let mut edits = vec![];
        for (_, f) in &chosen {
            let rw = f
                .rewrite
                .as_ref()
                .expect("allowed findings carry a rewrite");
            edits.extend(edit::lower(
                &current.text,
                parsed.tokens(),
                current.newline,
                &rw.ops,
            ));
        }
        let mut edits_for_map = edits.clone();
        let next = edit::apply(&current.text, &mut edits).map_err(|m| PlanError::Internal {
            line: original[chosen[0].0].line,
            message: m,
        })?;
        maps.push(OffsetMap::new(&edits_for_map));
        edits_for_map.clear();
        let mut next_text = next;
        // Imports: add what the rewrites need, then drop what they left unused.
        for (_, f) in &chosen {
            let rw = f
                .rewrite
                .as_ref()
                .expect("allowed findings carry a rewrite");
            for imp in &rw.imports {
                let p = analyzer::parse_text(&next_text)
                    .map_err(|e| internal_at(original[chosen[0].0].line, e))?;
                let mut es = imports::add(&next_text, &p, imp, current.newline);
                if !es.is_empty() {
                    let m = OffsetMap::new(&es);
                    next_text =
                        edit::apply(&next_text, &mut es).map_err(|m| PlanError::Internal {
                            line: original[chosen[0].0].line,
                            message: m,
                        })?;
                    maps.push(m);
                }
            }
        }
        let before = analyzer::parse(&current).map_err(|e| internal(&planned, &pending, e))?;
        for (_, f) in &chosen {
            let rw = f
                .rewrite
                .as_ref()
                .expect("allowed findings carry a rewrite");
            for name in &rw.maybe_unused {
                if imports::uses(&current.text, &before, name) == 0 {
                    continue; // unused before the rewrite: not ours to touch
                }
                let p = analyzer::parse_text(&next_text)
                    .map_err(|e| internal_at(original[chosen[0].0].line, e))?;
                if imports::uses(&next_text, &p, name) > 0 {
                    continue;
                }
                let mut es = imports::remove(&next_text, &p, name, current.newline);
                if !es.is_empty() {
                    let m = OffsetMap::new(&es);
                    next_text =
                        edit::apply(&next_text, &mut es).map_err(|m| PlanError::Internal {
                            line: original[chosen[0].0].line,
                            message: m,
                        })?;
                    maps.push(m);
                }
            }
        }
        analyzer::parse_text(&next_text).map_err(|e| internal_at(original[chosen[0].0].line, e))?;
        for (i, _) in &chosen {
            planned[*i].applied = true;
            pending.retain(|p| p != i);
        }
        text = next_text;
    }
    Ok(FilePlan {
        file,
        findings: planned,
        rewritten: text,
    })
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
        message: e.to_string(),
    }
}
