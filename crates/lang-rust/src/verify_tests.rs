//! The per-finding parse check proved in one item must give the whole-file verdict.

use super::*;

fn ins(at: usize, s: &str) -> TextEdit {
    TextEdit {
        range: at..at,
        replacement: s.into(),
    }
}

fn items_of(text: &str) -> Vec<Range<usize>> {
    item_ranges(&SourceFile::parse(text, Edition::E2021.to_syntax()).tree())
}

/// The check as it was: the whole file parsed with the edits applied.
fn whole_file(text: &str, edits: &[TextEdit]) -> bool {
    parses(&apply_edits(text, edits), Edition::E2021)
}

/// The new verdict, asserted equal to the whole-file one; true when the item proved it.
fn check(text: &str, edits: &[TextEdit]) -> (bool, bool) {
    let items = items_of(text);
    let verdict = rewrite_parses(text, Edition::E2021, &items, edits) != Verdict::Fails;
    assert_eq!(verdict, whole_file(text, edits), "{edits:?} in {text:?}");
    let proved = enclosing_item(text, &items, edits)
        .is_some_and(|item| item_parses(text, item, edits, Edition::E2021));
    (verdict, proved)
}

const IMPL: &str = "struct X;\nimpl X {\n    pub fn m(&self, n: u8) -> u8 {\n        let a = n;\n        a\n    }\n}\nfn g() {}\n";

#[test]
fn a_method_with_self_is_proved_in_its_impl() {
    let at = IMPL.find("let a").unwrap();
    assert_eq!(
        check(IMPL, &[ins(at, "let b = 1;\n        ")]),
        (true, true)
    );
    let bad = check(IMPL, &[ins(at, "let b = {;\n        ")]);
    assert_eq!(bad, (false, false));
}

#[test]
fn nested_modules_and_edits_of_two_items() {
    let src =
        "mod a {\n    mod b {\n        fn f() { let x = 1; }\n    }\n}\nfn g() { let y = 2; }\n";
    let x = src.find("let x").unwrap();
    let y = src.find("let y").unwrap();
    assert_eq!(check(src, &[TextEdit::delete(x..x + 10)]), (true, true));
    // Edits in two items: no item holds them all, the whole file decides.
    let both = [TextEdit::delete(x..x + 10), TextEdit::delete(y..y + 10)];
    assert_eq!(check(src, &both), (true, false));
    assert_eq!(check(src, &[ins(x, "}")]), (false, false));
}

#[test]
fn a_comment_closed_in_a_later_item_falls_back_to_the_file() {
    let src =
        "fn f() {\n    let x = 1;\n}\nfn g() { let s = \"*/ } fn h() { let t = 1; } //\"; }\n";
    let at = src.find("let x").unwrap();
    // Alone, `f` has an unterminated comment; in the file it ends inside `g`'s string,
    // and what is left (`fn f() { } fn h() { .. } // ..`) parses.
    assert_eq!(check(src, &[ins(at, "/*")]), (true, false));
}

#[test]
fn an_inner_attribute_or_a_first_byte_edit_is_not_proved_alone() {
    let src = "fn z() {}\n#[inline] fn f() {}\n";
    let at = src.find("[inline]").unwrap();
    assert_eq!(check(src, &[ins(at, "!")]), (false, false));
    let at = src.find("#[inline]").unwrap();
    assert!(enclosing_item(src, &items_of(src), &[ins(at, "//")]).is_none());
    let end = src.len() - 1;
    assert!(enclosing_item(src, &items_of(src), &[TextEdit::delete(end - 1..end)]).is_none());
}

#[test]
fn crlf_and_bom_files() {
    let lf = "fn save(conn: &mut rusqlite::Connection) -> rusqlite::Result<()> {\n    let tx = conn.transaction()?;\n    if let Err(e) = tx.execute(\"INSERT INTO t\n        VALUES (1)\", []) {\n        let _ = tx.rollback();\n        return Err(e);\n    }\n    tx.commit()\n}\n";
    let crlf = lf.replace('\n', "\r\n");
    let at = crlf.find("let _").unwrap();
    assert_eq!(check(&crlf, &[ins(at, "let q = 1;\r\n    ")]), (true, true));
    let src = format!("{BOM}{crlf}");
    let a = analyze(&src, Edition::E2021, false);
    assert_eq!(a.findings.len(), 1, "{:?}", a.findings);
    assert!(!a.findings[0].edits.is_empty(), "{:?}", a.findings);
    assert!(!apply_edits(&src, &a.all_edits()).contains("rollback"));
}

fn finding(edits: Vec<TextEdit>) -> Finding {
    Finding {
        kind: Kind::RedundantRollback,
        range: 0..0,
        line: 1,
        safety: Safety::Safe,
        reason: "ok".into(),
        edits,
        in_test: false,
    }
}

/// `verify_rewrites` on findings with these edits: which kept their edits.
fn kept(text: &str, edits: Vec<Vec<TextEdit>>) -> Vec<bool> {
    let mut findings: Vec<Finding> = edits.into_iter().map(finding).collect();
    verify_rewrites(text, Edition::E2021, &items_of(text), &mut findings);
    findings.iter().map(|f| !f.edits.is_empty()).collect()
}

/// The verdicts by whole-file parses: each finding with edits alone, then the kept ones together.
fn kept_by_whole_file(text: &str, edits: &[Vec<TextEdit>]) -> Vec<bool> {
    let alone: Vec<bool> = edits
        .iter()
        .map(|e| !e.is_empty() && whole_file(text, e))
        .collect();
    let together: Vec<TextEdit> = edits
        .iter()
        .zip(&alone)
        .filter(|(_, ok)| **ok)
        .flat_map(|(e, _)| e.iter().cloned())
        .collect();
    let joint = whole_file(text, &together);
    alone.into_iter().map(|ok| ok && joint).collect()
}

#[test]
fn rewrites_fine_alone_but_not_together_are_all_downgraded() {
    let src = "fn f() { let ab = 1; }\nfn g() { let cd = 2; }\n";
    let at = |s: &str| src.find(s).unwrap();
    let del = |s: &str| vec![TextEdit::delete(at(s)..at(s) + 1)];
    // In one item: each parses alone, together `let  = 1` does not.
    assert_eq!(kept(src, vec![del("a"), del("b")]), [false, false]);
    // In two items, each proved alone: together they parse with no further parse.
    let apart = [Verdict::InItem(0), Verdict::InItem(at("fn g"))];
    assert!(proved_together(&apart));
    assert!(!proved_together(&[Verdict::InItem(0), Verdict::InItem(0)]));
    assert!(!proved_together(&[Verdict::InItem(0), Verdict::InFile]));
    assert!(proved_together(&[Verdict::InFile]));
    assert_eq!(kept(src, vec![del("a"), del("c")]), [true, true]);
    assert_eq!(
        kept(src, vec![del("a"), vec![ins(at("let c"), "{")]]),
        [true, false]
    );
}

#[test]
fn a_stray_semicolon_after_an_item_is_an_error() {
    // The item prefix relies on it: a lone item starting with `;` is not proved.
    assert!(!parses("struct A;\n;fn f() {}\n", Edition::E2021));
    assert!(!parses(
        "macro_rules! m { () => {} }\nm! {}\n;\n",
        Edition::E2021
    ));
}

/// A small deterministic generator: the same samples every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

const PIECES: [&str; 14] = [
    "}",
    "{",
    ";",
    "/*",
    "*/",
    "//",
    "\"",
    "r#\"",
    "'",
    "#![allow(x)]",
    ")",
    "\n}\nfn z() {",
    "let _ = 1;",
    "",
];

/// Edit sets for `text`: each finding's own edits, and random insertions and deletions.
fn samples(text: &str, rng: &mut Lcg) -> Vec<Vec<TextEdit>> {
    let parse = SourceFile::parse(text, Edition::E2021.to_syntax());
    let ctx = rules::Ctx::new(
        text,
        Edition::E2021,
        parse.tree(),
        false,
        &CrateIndex::default(),
    );
    let mut out: Vec<Vec<TextEdit>> = rules::run(&ctx).into_iter().map(|f| f.edits).collect();
    let bounds: Vec<usize> = (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .collect();
    for _ in 0..120 {
        let a = bounds[rng.below(bounds.len())];
        let b = bounds[(bounds.partition_point(|&i| i < a) + rng.below(12)).min(bounds.len() - 1)];
        let piece = PIECES[rng.below(PIECES.len())];
        out.push(vec![TextEdit {
            range: a..b,
            replacement: piece.into(),
        }]);
    }
    out
}

/// The files to sample: the cases, and a few of the bench crate when it was generated.
fn sample_files() -> Vec<std::path::PathBuf> {
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let home = std::env::var_os("HOME").unwrap_or_default();
    let bench =
        std::path::Path::new(&home).join(".cache/session-codemod/bench/rust-crate-v1-600/src");
    if let Ok(dir) = std::fs::read_dir(bench) {
        let mut more: Vec<_> = dir.map(|e| e.unwrap().path()).collect();
        more.sort();
        files.extend(more.into_iter().take(2));
    }
    files
}

/// Whether edits overlap, or a set's are out of order (`verify_rewrites` refuses them).
fn overlapping(group: &[Vec<TextEdit>]) -> bool {
    let unordered = |e: &Vec<TextEdit>| e.windows(2).any(|w| w[0].range.end > w[1].range.start);
    if group.iter().any(unordered) {
        return true;
    }
    let mut all: Vec<&TextEdit> = group.iter().flatten().collect();
    all.sort_by_key(|e| (e.range.start, e.range.end));
    all.windows(2)
        .any(|w| w[0].range.end > w[1].range.start || w[0].range == w[1].range)
}

#[test]
fn item_verdicts_equal_whole_file_verdicts_on_the_cases() {
    let mut rng = Lcg(7);
    let (mut proved, mut total) = (0, 0);
    for path in sample_files() {
        let text = std::fs::read_to_string(path).unwrap();
        let body = text.strip_prefix(BOM).unwrap_or(&text);
        if !parses(body, Edition::E2021) {
            continue;
        }
        let samples = samples(body, &mut rng);
        for edits in &samples {
            total += 1;
            proved += usize::from(check(body, edits).1);
        }
        for group in samples.chunks(3).filter(|g| !overlapping(g)) {
            assert_eq!(kept(body, group.to_vec()), kept_by_whole_file(body, group));
        }
    }
    // The fast path must be taken often, or the test proves nothing.
    assert!(proved * 10 > total, "{proved} of {total} proved in an item");
}
