//! Rust-source analysis for `session-codemod`: finds hand-written database transaction
//! blocks in one Rust file and plans text edits that rewrite them to the drop form
//! (dropping an uncommitted transaction rolls it back, so only the success path commits).
//!
//! Pure analysis: no file IO. `analyze` parses with `ra_ap_syntax`, finds transactions
//! (`let tx = conn.transaction()?`, `pool.begin().await?`, project-defined begins whose
//! types are in the same file), and runs one rule per [`Kind`]. [`analyze_in`] does the
//! same with a [`CrateIndex`] of the run's pass-1 facts ([`collect_facts`] per file), so
//! that transaction types, begins and closure helpers of other files are known too:
//!
//! | code  | kind                      | rewritten?                                     |
//! | ----- | ------------------------- | ---------------------------------------------- |
//! | RS001 | `manual-transaction`      | yes: the error-path rollbacks go, or the block |
//! |       |                           | becomes a call of the run's closure helper     |
//! | RS002 | `redundant-rollback`      | yes: the rollback before a non-`Ok` exit goes  |
//! | RS003 | `raw-sql-transaction`     | reported; a diesel `BEGIN` … `COMMIT` block    |
//! |       |                           | becomes `conn.transaction(\|conn\| ..)`         |
//! | RS004 | `uncommitted-transaction` | reported                                       |
//! | RS005 | `double-management`       | reported                                       |
//!
//! Every finding has a [`Safety`] and a one-line reason. `Safe` is claimed only when drop
//! provably rolls back and the removed rollback's error was already ignored; a removed
//! rollback whose error was propagated or unwrapped is `Review`; anything else is `Manual`
//! with no edits. Every planned rewrite is re-parsed inside [`analyze`]; one that would not
//! parse is downgraded to `Manual`. A file with parse errors gets no edits at all.
//!
//! Macro bodies are opaque: nothing inside a macro call's tokens is edited, and a
//! transaction mentioned inside one is reported `Manual` at most.
//!
//! Test code: `Finding::in_test` is set when the caller passes `is_test_code` or when the
//! finding is inside a `#[cfg(test)]` module or a `#[test]`-like function. Test findings are
//! reported and planned like any other; callers decide what to do with them.

mod block;
pub mod drivers;
mod edition;
mod finding;
mod flow;
mod helpers;
mod index;
mod rules;
mod syntax;
mod tx;
#[cfg(test)]
mod verify_tests;

pub use block::{describe, BlockFacts};
pub use edition::{
    edition_from_cargo_toml, stated_edition, workspace_edition, Edition, StatedEdition,
};
pub use finding::{Analysis, Finding, Kind, ParseError, Safety, TextEdit, KINDS};
pub use index::{collect_facts, may_contain_blocks, may_define_facts, CrateIndex, RustFacts};

use std::ops::Range;

use ra_ap_syntax::ast::{HasModuleItem, SourceFile};
use ra_ap_syntax::{AstNode, SyntaxKind};

const BOM: &str = "\u{feff}";

/// Analyse one Rust source file on its own. `is_test_code` marks every finding as test
/// code.
pub fn analyze(text: &str, edition: Edition, is_test_code: bool) -> Analysis {
    analyze_in(text, edition, is_test_code, &CrateIndex::default())
}

/// Analyse one Rust source file of a run whose pass-1 facts are in `index`: transaction
/// types, begin functions and closure helpers of other files are known (this file's own
/// definitions win).
pub fn analyze_in(
    text: &str,
    edition: Edition,
    is_test_code: bool,
    index: &CrateIndex,
) -> Analysis {
    // The parser does not expect a byte-order mark: analyse the text after it and shift.
    let shift = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[shift..];
    let mut analysis = analyze_body(body, edition, is_test_code, index);
    if shift > 0 {
        for f in &mut analysis.findings {
            f.range = f.range.start + shift..f.range.end + shift;
            for e in &mut f.edits {
                e.range = e.range.start + shift..e.range.end + shift;
            }
        }
        for e in &mut analysis.parse_errors {
            e.offset += shift;
        }
    }
    analysis
}

fn analyze_body(text: &str, edition: Edition, is_test_code: bool, index: &CrateIndex) -> Analysis {
    let parse = SourceFile::parse(text, edition.to_syntax());
    let parse_errors: Vec<ParseError> = parse
        .errors()
        .iter()
        .filter(|e| !is_crlf_in_literal(e))
        .map(|e| ParseError {
            offset: usize::from(e.range().start()),
            message: e.to_string(),
        })
        .collect();
    let items = item_ranges(&parse.tree());
    let ctx = rules::Ctx::new(text, edition, parse.tree(), is_test_code, index);
    let mut findings = rules::run(&ctx);
    if let Some(first) = parse_errors.first() {
        let reason = format!(
            "not rewritten: the file does not parse (first error at line {})",
            ctx.line(first.offset)
        );
        for f in findings.iter_mut().filter(|f| !f.edits.is_empty()) {
            downgrade(f, &reason);
        }
    } else {
        verify_rewrites(text, edition, &items, &mut findings);
    }
    Analysis {
        findings,
        parse_errors,
    }
}

fn downgrade(f: &mut Finding, reason: &str) {
    f.safety = Safety::Manual;
    f.reason = reason.to_string();
    f.edits.clear();
}

pub(crate) fn parses(text: &str, edition: Edition) -> bool {
    SourceFile::parse(text, edition.to_syntax())
        .errors()
        .iter()
        .all(is_crlf_in_literal)
}

/// The parser refuses a carriage return inside a multi-line literal; rustc turns CRLF
/// into LF before it lexes, so a file with CRLF line endings has no such error.
pub(crate) fn is_crlf_in_literal(e: &ra_ap_syntax::SyntaxError) -> bool {
    e.to_string().contains("must be escaped: `\r`")
}

/// Downgrade findings whose edits overlap an earlier finding's or would not parse, alone
/// or together with all the others. `items` are the top-level items of `text`.
fn verify_rewrites(text: &str, edition: Edition, items: &[Range<usize>], findings: &mut [Finding]) {
    let mut taken: Vec<Range<usize>> = Vec::new();
    let mut verdicts: Vec<Verdict> = Vec::new();
    for f in findings.iter_mut().filter(|f| !f.edits.is_empty()) {
        let overlaps = f.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.range.start < t.end && t.start < e.range.end)
        }) || f
            .edits
            .windows(2)
            .any(|w| w[0].range.end > w[1].range.start);
        if overlaps {
            downgrade(
                f,
                "not rewritten: its edits overlap another finding's edits",
            );
            continue;
        }
        let verdict = rewrite_parses(text, edition, items, &f.edits);
        if verdict == Verdict::Fails {
            downgrade(f, "the rewrite would not parse");
        } else {
            taken.extend(f.edits.iter().map(|e| e.range.clone()));
            verdicts.push(verdict);
        }
    }
    if proved_together(&verdicts) {
        return;
    }
    let all: Vec<TextEdit> = findings
        .iter()
        .flat_map(|f| f.edits.iter().cloned())
        .collect();
    if !parses(&apply_edits(text, &all), edition) {
        for f in findings.iter_mut().filter(|f| !f.edits.is_empty()) {
            downgrade(f, "the rewrite would not parse");
        }
    }
}

/// How a rewrite was found to parse, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Fails,
    /// In the top-level item starting at this offset, alone.
    InItem(usize),
    /// In the whole file.
    InFile,
}

/// Whether the kept rewrites' check already proves all of them together: with none, the
/// text is unchanged; with one, the joint check is its own; rewrites proved in distinct
/// items are as independent as one is of the rest of the file (see [`item_parses`]).
fn proved_together(verdicts: &[Verdict]) -> bool {
    if verdicts.len() <= 1 {
        return true;
    }
    let mut starts: Vec<usize> = Vec::with_capacity(verdicts.len());
    for v in verdicts {
        let Verdict::InItem(start) = v else {
            return false;
        };
        starts.push(*start);
    }
    starts.sort_unstable();
    starts.windows(2).all(|w| w[0] != w[1])
}

/// The byte ranges of the top-level items of a parsed file, in order.
fn item_ranges(file: &SourceFile) -> Vec<Range<usize>> {
    file.items()
        .map(|item| {
            let r = item.syntax().text_range();
            usize::from(r.start())..usize::from(r.end())
        })
        .collect()
}

/// Whether `text` (which parses) still parses with `edits` applied: the same verdict as
/// parsing the whole edited file, which costs a parse per finding in a large file. When
/// one top-level item holds all the edits, that item alone is parsed first; an item that
/// parses alone proves the file does (see [`item_parses`]). Any other case, and an item
/// that does not parse alone, gets the whole-file parse, so the verdict never changes.
fn rewrite_parses(
    text: &str,
    edition: Edition,
    items: &[Range<usize>],
    edits: &[TextEdit],
) -> Verdict {
    let item = enclosing_item(text, items, edits);
    if let Some(item) = item.filter(|item| item_parses(text, item, edits, edition)) {
        Verdict::InItem(item.start)
    } else if parses(&apply_edits(text, edits), edition) {
        Verdict::InFile
    } else {
        Verdict::Fails
    }
}

/// The top-level item whose first and last bytes no edit touches and that holds every
/// edit, if it ends in `}` or `;` (a token nothing after it can extend).
fn enclosing_item<'a>(
    text: &str,
    items: &'a [Range<usize>],
    edits: &[TextEdit],
) -> Option<&'a Range<usize>> {
    let start = edits.iter().map(|e| e.range.start).min()?;
    let end = edits.iter().map(|e| e.range.end).max()?;
    let item = &items[items.partition_point(|r| r.start < start).checked_sub(1)?];
    let closed = text[..item.end].ends_with(['}', ';']);
    (end < item.end && closed).then_some(item)
}

/// A dummy item put before a lone item, so that it is parsed where the file has it:
/// after an item, where a shebang or an inner attribute is an error.
const ITEM_PREFIX: &str = "struct CodemodItemPrefix;\n";

/// Whether the `item` of `text` parses on its own with `edits` (all inside it) applied.
/// Its last token must still be its last byte (`}` or `;`): then no token of the edited
/// item runs past it, the file's tokens are those before the item, the item's and those
/// after, and the parser, at an item boundary before and after, sees the same items.
fn item_parses(text: &str, item: &Range<usize>, edits: &[TextEdit], edition: Edition) -> bool {
    let inside: Vec<TextEdit> = edits
        .iter()
        .map(|e| TextEdit {
            range: e.range.start - item.start..e.range.end - item.start,
            replacement: e.replacement.clone(),
        })
        .collect();
    let src = format!("{ITEM_PREFIX}{}", apply_edits(&text[item.clone()], &inside));
    let parse = SourceFile::parse(&src, edition.to_syntax());
    let last = parse.syntax_node().last_token();
    let ends_closed = last.is_some_and(|t| {
        matches!(t.kind(), SyntaxKind::R_CURLY | SyntaxKind::SEMICOLON)
            && usize::from(t.text_range().end()) == src.len()
    });
    ends_closed && parse.errors().iter().all(is_crlf_in_literal)
}

/// Apply sorted, non-overlapping edits to `text`. Edits are applied in position order;
/// an edit that starts inside an earlier one is skipped.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in sorted {
        if e.range.start < pos {
            continue;
        }
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.replacement);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_edits_keeps_other_bytes() {
        let text = "abc\r\ndef";
        let edits = [
            TextEdit {
                range: 4..5,
                replacement: "X".into(),
            },
            TextEdit::delete(0..1),
        ];
        assert_eq!(apply_edits(text, &edits), "bc\rXdef");
    }

    #[test]
    fn parse_errors_mean_no_edits() {
        let src = "fn f(conn: &mut Connection) {\n    let tx = conn.transaction().unwrap();\n    let _ = tx.rollback();\n}\nfn broken( {";
        let a = analyze(src, Edition::E2021, false);
        assert!(!a.parse_errors.is_empty());
        assert!(!a.findings.is_empty());
        assert!(a
            .findings
            .iter()
            .all(|f| f.edits.is_empty() && f.safety == Safety::Manual));
        assert!(a.findings[0]
            .reason
            .starts_with("not rewritten: the file does not parse"));
    }

    #[test]
    fn bom_offsets_point_into_the_original_text() {
        let src = "\u{feff}fn f(conn: &mut Connection) {\n    let tx = conn.transaction().unwrap();\n    let _ = tx.rollback();\n}\n";
        let a = analyze(src, Edition::E2021, false);
        assert!(a.parse_errors.is_empty(), "{:?}", a.parse_errors);
        assert_eq!(a.findings.len(), 1);
        let out = apply_edits(src, &a.all_edits());
        assert!(out.starts_with("\u{feff}fn f"));
        assert!(!out.contains("rollback"));
    }

    #[test]
    fn test_code_is_flagged() {
        let src = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        let conn = open();\n        conn.execute_batch(\"BEGIN\").unwrap();\n    }\n}\nfn g(c: &Connection) { c.execute_batch(\"COMMIT\").unwrap(); }\n";
        let a = analyze(src, Edition::E2021, false);
        assert_eq!(a.findings.len(), 2);
        assert!(a.findings[0].in_test);
        assert!(!a.findings[1].in_test);
        assert!(analyze(src, Edition::E2021, true)
            .findings
            .iter()
            .all(|f| f.in_test));
    }

    #[test]
    fn crlf_inside_a_multi_line_string_is_no_parse_error() {
        let lf = "fn save(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO t
        VALUES (1)\", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
";
        let crlf = lf.replace('\n', "\r\n");
        let a = analyze(&crlf, Edition::E2021, false);
        assert!(a.parse_errors.is_empty(), "{:?}", a.parse_errors);
        assert_eq!(a.findings.len(), 1, "{:?}", a.findings);
        assert_eq!(a.findings[0].safety, Safety::Safe, "{:?}", a.findings);
    }

    #[test]
    fn kinds_have_stable_names_and_codes() {
        let rust: Vec<Kind> = Kind::of(&[codemod_core::Language::Rust]).collect();
        assert_eq!(rust, KINDS);
        let names: Vec<_> = KINDS
            .iter()
            .map(|k| format!("{} {}", k.code(), k))
            .collect();
        assert_eq!(
            names,
            [
                "RS001 manual-transaction",
                "RS002 redundant-rollback",
                "RS003 raw-sql-transaction",
                "RS004 uncommitted-transaction",
                "RS005 double-management"
            ]
        );
    }
}
