//! Byte edits: lowering the analyzer's `EditOp`s and applying them.

use analyzer::EditOp;
use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// Replace `range` of the text with `text` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub text: String,
}

/// Lower one rewrite's operations to byte edits on `text`. `strings` are the file's
/// multi-line string spans (computed once per text, shared by all its rewrites).
pub fn lower(
    text: &str,
    tokens: &Tokens,
    strings: &StringSpans,
    newline: &str,
    ops: &[EditOp],
) -> Vec<Edit> {
    let mut edits = vec![];
    // Whole-line deletions first: indentation is never added to a line that goes away.
    let mut deleted: Vec<TextRange> = vec![];
    for op in ops {
        if let EditOp::DeleteLines {
            range,
            comment_indent,
        } = op
        {
            let start = line_start(text, range.start());
            let end = line_end_incl(text, range.end());
            let full = TextRange::new(start, end);
            let mut kept = String::new();
            for tok in tokens_within(tokens, full) {
                if tok.kind() == TokenKind::Comment {
                    kept.push_str(comment_indent);
                    kept.push_str(&text[tok.range()]);
                    kept.push_str(newline);
                }
            }
            deleted.push(full);
            edits.push(Edit {
                range: full,
                text: kept,
            });
        }
    }
    for op in ops {
        match op {
            EditOp::Replace { range, text: new } => edits.push(Edit {
                range: *range,
                text: new.replace('\n', newline),
            }),
            EditOp::Insert { at, text: new } => edits.push(Edit {
                range: TextRange::empty(*at),
                text: new.replace('\n', newline),
            }),
            EditOp::Indent { range, unit } => {
                for at in line_starts_in(text, *range) {
                    let rest = &text[at.to_usize()..];
                    let line = rest.split('\n').next().unwrap_or("");
                    if line.trim().is_empty() {
                        continue;
                    }
                    if strings.contains(at) {
                        continue;
                    }
                    if deleted.iter().any(|d| d.start() <= at && at < d.end()) {
                        continue;
                    }
                    edits.push(Edit {
                        range: TextRange::empty(at),
                        text: unit.clone(),
                    });
                }
            }
            EditOp::DeleteLines { .. } => {}
        }
    }
    join_blank_runs(text, &mut edits);
    edits
}

fn is_blank_line(text: &str, start: TextSize) -> bool {
    text[start.to_usize()..line_end_incl(text, start).to_usize()]
        .trim()
        .is_empty()
}

/// Deleting lines that sit between two runs of blank lines joins the runs: a `close()`
/// after one blank line and before the two ahead of the next `def` would leave three. The
/// run before the deleted lines is shortened so that the joined run is as long as the
/// longer of the two; at the end of the file, it goes.
fn join_blank_runs(text: &str, edits: &mut [Edit]) {
    let mut order: Vec<usize> = (0..edits.len())
        .filter(|&i| edits[i].text.is_empty() && !edits[i].range.is_empty())
        .collect();
    order.sort_by_key(|&i| edits[i].range.start());
    let mut groups: Vec<(usize, TextSize)> = vec![];
    for i in order {
        match groups.last_mut() {
            Some((_, end)) if *end == edits[i].range.start() => *end = edits[i].range.end(),
            _ => groups.push((i, edits[i].range.end())),
        }
    }
    for (first, end) in groups {
        let start = edits[first].range.start();
        if start != line_start(text, start) || end != line_start(text, end) {
            continue;
        }
        let mut after = 0usize;
        let mut at = end;
        while at.to_usize() < text.len() && is_blank_line(text, at) {
            after += 1;
            at = line_end_incl(text, at);
        }
        let at_eof = at.to_usize() == text.len();
        let mut from = start;
        let mut taken = 0usize;
        while from > TextSize::default() && (at_eof || taken < after) {
            let prev = line_start(text, from - TextSize::from(1));
            if !is_blank_line(text, prev) {
                break;
            }
            from = prev;
            taken += 1;
        }
        // No other edit may lie in the blank lines taken (an insertion at `start` would
        // end up inside the deletion).
        let clear = edits.iter().enumerate().all(|(j, e)| {
            j == first
                || e.range.end() <= from
                || e.range.start() > start
                || (e.range.start() == start && !e.range.is_empty())
        });
        if from < start && clear {
            edits[first].range = TextRange::new(from, edits[first].range.end());
        }
    }
}

/// Spans of the file's strings that cover more than one line: whole f-/t-strings and
/// triple-quoted or backslash-continued strings. A line starting inside one is string
/// content and must keep its bytes.
pub struct StringSpans(Vec<TextRange>);

impl StringSpans {
    pub fn new(tokens: &Tokens) -> StringSpans {
        let mut spans = vec![];
        let mut open: Vec<TextSize> = vec![];
        for t in tokens.iter() {
            match t.kind() {
                // Strings inside an f-string's replacement fields lie in its span.
                TokenKind::String if open.is_empty() => spans.push(t.range()),
                TokenKind::FStringStart | TokenKind::TStringStart => open.push(t.start()),
                TokenKind::FStringEnd | TokenKind::TStringEnd => {
                    if let Some(start) = open.pop() {
                        // Nested f-strings lie inside the outermost one.
                        if open.is_empty() {
                            spans.push(TextRange::new(start, t.end()));
                        }
                    }
                }
                _ => {}
            }
        }
        spans.sort_by_key(|r| r.start());
        StringSpans(spans)
    }

    /// Whether `at` lies strictly inside a string.
    pub fn contains(&self, at: TextSize) -> bool {
        let i = self.0.partition_point(|r| r.start() < at);
        // The candidate is the last span starting before `at`.
        i > 0 && self.0[i - 1].end() > at
    }
}

/// The tokens that lie wholly inside `r` (binary search: the file may be large).
fn tokens_within(
    tokens: &Tokens,
    r: TextRange,
) -> impl Iterator<Item = &ruff_python_ast::token::Token> {
    let first = tokens.partition_point(|t| t.start() < r.start());
    tokens[first..]
        .iter()
        .take_while(move |t| t.start() < r.end())
        .filter(move |t| r.contains_range(t.range()))
}

fn line_starts_in(text: &str, range: TextRange) -> Vec<TextSize> {
    let mut out = vec![];
    let mut at = line_start(text, range.start());
    if at < range.start() {
        at = line_end_incl(text, range.start());
    }
    while at < range.end() && at.to_usize() < text.len() {
        out.push(at);
        at = line_end_incl(text, at);
    }
    out
}

pub fn line_start(text: &str, offset: TextSize) -> TextSize {
    let o = offset.to_usize();
    TextSize::try_from(text[..o].rfind('\n').map_or(0, |i| i + 1)).unwrap()
}

pub fn line_end_incl(text: &str, offset: TextSize) -> TextSize {
    let o = offset.to_usize();
    TextSize::try_from(text[o..].find('\n').map_or(text.len(), |i| o + i + 1)).unwrap()
}

/// Apply non-overlapping edits. `Err` names the first overlap (a bug in a rule).
pub fn apply(text: &str, edits: &mut [Edit]) -> Result<String, String> {
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut at = TextSize::default();
    for e in edits.iter() {
        if e.range.start() < at {
            return Err(format!(
                "overlapping edits at byte {}",
                e.range.start().to_usize()
            ));
        }
        out.push_str(&text[at.to_usize()..e.range.start().to_usize()]);
        out.push_str(&e.text);
        at = e.range.end();
    }
    out.push_str(&text[at.to_usize()..]);
    Ok(out)
}

/// Maps offsets of an edited text back to the text before the edits.
#[derive(Debug, Clone, Default)]
pub struct OffsetMap {
    /// (old range, new length), sorted.
    edits: Vec<(TextRange, TextSize)>,
}

impl OffsetMap {
    pub fn new(edits: &[Edit]) -> OffsetMap {
        let mut v: Vec<_> = edits
            .iter()
            .map(|e| (e.range, TextSize::of(e.text.as_str())))
            .collect();
        v.sort_by_key(|(r, _)| (r.start(), r.end()));
        OffsetMap { edits: v }
    }

    /// The old offset of `new`; an offset inside inserted text maps to the edit's start.
    pub fn back(&self, new: TextSize) -> TextSize {
        let mut delta: i64 = 0;
        for (old, len) in &self.edits {
            let new_start = (old.start().to_u32() as i64 + delta) as u32;
            let new_end = new_start + len.to_u32();
            if new.to_u32() < new_start {
                break;
            }
            if new.to_u32() < new_end {
                return old.start();
            }
            delta += len.to_u32() as i64 - old.len().to_u32() as i64;
        }
        TextSize::from((new.to_u32() as i64 - delta) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delete_line(text: &str, line: &str) -> String {
        let at = text.find(line).unwrap();
        let mut edits = vec![Edit {
            range: TextRange::new(
                TextSize::try_from(at).unwrap(),
                TextSize::try_from(at + line.len()).unwrap(),
            ),
            text: String::new(),
        }];
        join_blank_runs(text, &mut edits);
        apply(text, &mut edits).unwrap()
    }

    #[test]
    fn a_deleted_line_between_blank_runs_leaves_the_longer_run() {
        let text = "def f():\n    a()\n\n    s.close()\n\n\ndef g():\n    pass\n";
        assert_eq!(
            delete_line(text, "    s.close()\n"),
            "def f():\n    a()\n\n\ndef g():\n    pass\n"
        );
    }

    #[test]
    fn a_deleted_last_line_takes_the_blank_lines_before_it() {
        let text = "def f():\n    a()\n\n    s.close()\n";
        assert_eq!(delete_line(text, "    s.close()\n"), "def f():\n    a()\n");
    }

    #[test]
    fn a_deleted_line_next_to_code_keeps_its_blank_lines() {
        let text = "def f():\n    a()\n\n    s.close()\n    b()\n";
        assert_eq!(
            delete_line(text, "    s.close()\n"),
            "def f():\n    a()\n\n    b()\n"
        );
    }
}
