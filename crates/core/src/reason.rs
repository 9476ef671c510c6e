//! Line numbers in a finding's reason, kept as references rather than read back from
//! its English: a rule writes each line it names as [`Line`], and [`unmark`] turns the
//! text into plain text plus the byte span and value of every line it names. A reason
//! found in a rewritten text (a follow-up) is then [`renumber`]ed to the original's lines.

use std::fmt;

/// Private-use characters around a line number while a reason is being built: no reason
/// text has them otherwise.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// A 1-based line number written into a reason: `format!("returned at line {}", Line(n))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line(pub usize);

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OPEN}{}{CLOSE}", self.0)
    }
}

/// One line a reason names: where its number is in the plain text, and the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRef {
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

/// The plain text of a reason built with [`Line`]s, and the lines it names.
pub fn unmark(marked: &str) -> (String, Vec<LineRef>) {
    if !marked.contains(OPEN) {
        return (marked.to_string(), Vec::new());
    }
    let mut text = String::with_capacity(marked.len());
    let mut refs = Vec::new();
    let mut rest = marked;
    while let Some(open) = rest.find(OPEN) {
        text.push_str(&rest[..open]);
        let after = &rest[open + OPEN.len_utf8()..];
        let Some(close) = after.find(CLOSE) else {
            rest = after;
            continue;
        };
        let digits = &after[..close];
        let start = text.len();
        text.push_str(digits);
        if let Ok(line) = digits.parse() {
            refs.push(LineRef {
                start,
                end: text.len(),
                line,
            });
        }
        rest = &after[close + CLOSE.len_utf8()..];
    }
    text.push_str(rest);
    (text, refs)
}

/// `text` (a reason's plain text) with each line of `refs` replaced by `back(line)`.
pub fn renumber(text: &str, refs: &[LineRef], back: &dyn Fn(usize) -> usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in refs {
        out.push_str(&text[at..r.start]);
        out.push_str(&back(r.line).to_string());
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_written_as_line_are_references_in_the_plain_text() {
        let marked = format!(
            "commit at line {}; lines {}-{} and the outline 5",
            Line(9),
            Line(3),
            Line(4)
        );
        let (text, refs) = unmark(&marked);
        assert_eq!(text, "commit at line 9; lines 3-4 and the outline 5");
        assert_eq!(refs.iter().map(|r| r.line).collect::<Vec<_>>(), [9, 3, 4]);
        assert_eq!(&text[refs[1].start..refs[1].end], "3");
        let back = |n: usize| n + 100;
        assert_eq!(
            renumber(&text, &refs, &back),
            "commit at line 109; lines 103-104 and the outline 5"
        );
    }

    #[test]
    fn numbers_that_are_not_line_references_stay() {
        // Only what a rule wrote as `Line` moves: a name or literal holding "line 3" does not.
        let (text, refs) = unmark("`line 3` is a string; see line x");
        assert!(refs.is_empty());
        assert_eq!(renumber(&text, &refs, &|n| n + 1), text);
    }
}
