//! Unified diffs of a rewritten file, in time close to linear in its size.
//!
//! A whole-file Myers diff is O(N·D), and the compaction pass that lines hunks up moves
//! elements of one vector per shift: a file of tens of thousands of rewritten blocks took
//! minutes. Large files are therefore cut into regions first: patience anchors (lines
//! unique on both sides) find the long runs the two texts share, each run of at least
//! `CUT_RUN` lines is cut in its middle, and each region between cuts is diffed on its own,
//! exactly as a small file is. A region keeps at least `CUT_RUN / 2` shared lines on each
//! side of a cut, more than the context a hunk shows, so hunks come out as a whole-file
//! diff would print them.

use std::fmt::Write;

use similar::algorithms::{Capture, Replace};
use similar::{Algorithm, ChangeTag, DiffOp};

/// Lines of context around each hunk.
const CONTEXT: usize = 3;
/// Files up to this many lines (old plus new) are diffed whole.
const WHOLE_FILE_LINES: usize = 8_000;
/// Shared runs at least this long are where a large file is cut.
const CUT_RUN: usize = 4 * CONTEXT;
/// Regions up to this many lines get a Myers diff with compaction; longer ones (no long
/// shared run anywhere in them) keep the patience alignment as it is.
const REGION_LINES: usize = 4_000;

/// The unified diff of `old` to `new` with the given header names; empty when equal.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let old_lines = lines(old);
    let new_lines = lines(new);
    if old_lines.len() + new_lines.len() <= WHOLE_FILE_LINES {
        return whole_file(old, new, old_name, new_name);
    }
    render(
        &region_ops(&old_lines, &new_lines),
        &old_lines,
        &new_lines,
        old_name,
        new_name,
    )
}

/// The small-file diff: one Myers diff with similar's own rendering.
fn whole_file(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT)
        .header(old_name, new_name)
        .to_string()
}

/// Lines with their endings (`\n`, `\r\n` or a lone `\r`), as similar splits them.
fn lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = vec![];
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let end = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i + 2,
            b'\r' | b'\n' => i + 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(&text[start..end]);
        start = end;
        i = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Ops of the whole file, region by region.
fn region_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let anchors = patience(old, 0..old.len(), new, 0..new.len());
    let mut ops = vec![];
    let (mut o, mut n) = (0, 0);
    for op in anchors {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            if len >= CUT_RUN {
                let (o_cut, n_cut) = (old_index + len / 2, new_index + len / 2);
                push_region(&mut ops, old, o..o_cut, new, n..n_cut);
                (o, n) = (o_cut, n_cut);
            }
        }
    }
    push_region(&mut ops, old, o..old.len(), new, n..new.len());
    merge_equal(ops)
}

fn push_region(
    ops: &mut Vec<DiffOp>,
    old: &[&str],
    o: std::ops::Range<usize>,
    new: &[&str],
    n: std::ops::Range<usize>,
) {
    if old[o.clone()] == new[n.clone()] {
        if !o.is_empty() {
            ops.push(DiffOp::Equal {
                old_index: o.start,
                new_index: n.start,
                len: o.len(),
            });
        }
    } else if o.len() + n.len() <= REGION_LINES {
        ops.extend(similar::capture_diff(Algorithm::Myers, old, o, new, n));
    } else {
        ops.extend(patience(old, o, new, n));
    }
}

/// Patience alignment without compaction (linear apart from the anchors' sort).
fn patience(
    old: &[&str],
    o: std::ops::Range<usize>,
    new: &[&str],
    n: std::ops::Range<usize>,
) -> Vec<DiffOp> {
    let mut hook = Replace::new(Capture::new());
    match similar::algorithms::patience::diff(&mut hook, old, o, new, n) {
        Ok(()) => hook.into_inner().into_ops(),
        Err(never) => match never {},
    }
}

/// Adjacent equal ops (from two regions) as one.
fn merge_equal(ops: Vec<DiffOp>) -> Vec<DiffOp> {
    let mut out: Vec<DiffOp> = Vec::with_capacity(ops.len());
    for op in ops {
        if let (Some(DiffOp::Equal { len, .. }), DiffOp::Equal { len: more, .. }) =
            (out.last_mut(), op)
        {
            *len += more;
            continue;
        }
        out.push(op);
    }
    out
}

/// The unified diff of `ops`, written as similar writes one.
fn render(ops: &[DiffOp], old: &[&str], new: &[&str], old_name: &str, new_name: &str) -> String {
    let mut out = String::new();
    for group in similar::group_diff_ops(ops.to_vec(), CONTEXT) {
        if group.is_empty() {
            continue;
        }
        if out.is_empty() {
            let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
        }
        let _ = writeln!(out, "{}", similar::udiff::UnifiedHunkHeader::new(&group));
        for op in &group {
            for change in op.iter_changes(old, new) {
                let sign = match change.tag() {
                    ChangeTag::Equal => ' ',
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                };
                out.push(sign);
                out.push_str(change.value());
                if !change.value().ends_with(['\r', '\n']) {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `blocks` hand-written blocks and what a rewrite makes of them, with some
    /// functions left alone (`kept` lines long) and the last line without its newline.
    fn file_with(blocks: usize, kept: usize) -> (String, String) {
        let (mut old, mut new) = (String::new(), String::new());
        for i in 0..blocks {
            let head = format!("\n\ndef job_{i}(x):\n");
            old.push_str(&head);
            new.push_str(&head);
            // Every fifth function is left alone, and long enough to be cut in.
            if i % 5 == 3 {
                for k in 0..kept {
                    let same = format!("    x = x * {k} + {i}\n");
                    old.push_str(&same);
                    new.push_str(&same);
                }
                continue;
            }
            old.push_str(&format!(
                "    session = SessionLocal()\n    try:\n        session.add(Row(v={i}))\n        \
                 session.commit()\n    except Exception:\n        session.rollback()\n        \
                 raise\n    finally:\n        session.close()\n"
            ));
            new.push_str(&format!(
                "    with get_session() as session:\n        session.add(Row(v={i}))\n"
            ));
        }
        old.push_str("# end");
        new.push_str("# end");
        (old, new)
    }

    fn file(blocks: usize) -> (String, String) {
        file_with(blocks, 2 * CUT_RUN)
    }

    #[test]
    fn regions_print_the_diff_a_whole_file_diff_prints() {
        // Short kept functions: no run to cut in, one region aligned by patience alone.
        for (blocks, kept) in [(1, 24), (7, 24), (300, 24), (700, 24), (700, 1)] {
            let (old, new) = file_with(blocks, kept);
            let (o, n) = (lines(&old), lines(&new));
            let by_regions = render(&region_ops(&o, &n), &o, &n, "a/x.py", "b/x.py");
            assert_eq!(
                by_regions,
                whole_file(&old, &new, "a/x.py", "b/x.py"),
                "{blocks} {kept}"
            );
        }
    }

    #[test]
    fn a_missing_final_newline_and_crlf_lines_are_kept() {
        let old = "a\r\nb\r\nc";
        let new = "a\r\nB\r\nc\r\n";
        let (o, n) = (lines(old), lines(new));
        assert_eq!(o, ["a\r\n", "b\r\n", "c"]);
        let by_regions = render(&region_ops(&o, &n), &o, &n, "a/x", "b/x");
        assert_eq!(by_regions, whole_file(old, new, "a/x", "b/x"));
        assert!(
            by_regions.contains("-c\n\\ No newline at end of file\n"),
            "{by_regions}"
        );
        assert!(by_regions.ends_with("+B\r\n+c\r\n"), "{by_regions}");
    }

    #[test]
    fn equal_texts_have_no_diff() {
        let (old, _) = file(900);
        assert_eq!(unified(&old, &old, "a", "b"), "");
    }

    #[test]
    fn large_files_go_through_regions_and_apply() {
        let (old, new) = file(3_000);
        let diff = unified(&old, &new, "a/x.py", "b/x.py");
        assert_eq!(apply(&old, &diff), new);
    }

    /// Apply a unified diff (as `patch` would) to check what it says.
    fn apply(old: &str, diff: &str) -> String {
        let old_lines = lines(old);
        let mut out = String::new();
        let mut next = 0;
        let mut rows = diff.split_inclusive('\n').skip(2).peekable();
        while let Some(row) = rows.next() {
            if let Some(header) = row.strip_prefix("@@ -") {
                let start: usize = header
                    .split([',', ' '])
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap();
                let start = start.saturating_sub(1);
                for l in &old_lines[next..start] {
                    out.push_str(l);
                }
                next = start;
                continue;
            }
            let (sign, text) = row.split_at(1);
            let text = match rows.peek() {
                Some(r) if r.starts_with('\\') => {
                    rows.next();
                    text.strip_suffix('\n').unwrap_or(text)
                }
                _ => text,
            };
            match sign {
                " " => {
                    out.push_str(text);
                    next += 1;
                }
                "-" => next += 1,
                "+" => out.push_str(text),
                _ => panic!("unexpected row {row:?}"),
            }
        }
        for l in &old_lines[next..] {
            out.push_str(l);
        }
        out
    }
}
