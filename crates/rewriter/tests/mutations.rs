//! Property test (issue 4, section 3): mutate real sources and check that planning them
//! never panics, that output of input which parses parses too, and that a second plan over
//! the output rewrites nothing.
//!
//! Sources: every `testdata/cases` file (single files with the `casefix.py` fixture in the
//! index, folders with their own tree) and the example project; with `CODEMOD_CORPUS_DIR`
//! set, the `.py` files of that tree as well (`mutated_corpus_files`).
//!
//! Mutations: reorder top-level statements; insert comments, string literals (one- and
//! multi-line) and blank lines between statements at every depth; change the indentation
//! unit to two spaces or a tab, consistently; wrap a top-level function in a class; turn a
//! function into `async def`.
//!
//! The suite runs a small deterministic slice. `PROPTEST_CASES` raises the count and
//! `PROPTEST_RNG_SEED` changes the seed; `CODEMOD_FUZZ_KEEP_GOING=1` records a failure and
//! goes on with the next seed instead of stopping. See docs/fuzzing.md.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use analyzer::{FileFacts, LoadedConfig, ProjectIndex, SourceFile};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use rewriter::{plan_file, PlanError, Selection};

#[path = "common/fuzz.rs"]
mod fuzz;
use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{ModModule, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

/// Cases in the suite's slice (debug build: a few seconds).
const DEFAULT_CASES: u32 = 1000;
/// Cases of the corpus test when `CODEMOD_CORPUS_DIR` is set and `PROPTEST_CASES` is not.
const DEFAULT_CORPUS_CASES: u32 = 64;
/// The suite's seed: the slice is the same on every run.
const DEFAULT_SEED: u64 = 0x5e55_10f0_c0de;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn py_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() && p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn facts_of(file: &SourceFile) -> Option<FileFacts> {
    let parsed = analyzer::parse(file).ok()?;
    Some(analyzer::collect_facts(
        file,
        &parsed,
        analyzer::module_name(&file.path),
    ))
}

// ---------------------------------------------------------------------------------------
// Sources and their index

/// Files indexed together (pass 1), with the config found from `config_dir`.
struct Group {
    config: LoadedConfig,
    facts: Vec<FileFacts>,
}

impl Group {
    fn new(config_dir: &Path, files: &[PathBuf]) -> Group {
        let config = LoadedConfig::discover(config_dir).unwrap();
        let facts = files
            .iter()
            .filter_map(|p| facts_of(&SourceFile::read(p).ok()?))
            .collect();
        Group { config, facts }
    }

    /// The index a run over the group sees with `file` in place of its file on disk.
    fn index_with(&self, file: &SourceFile) -> ProjectIndex {
        let mut facts: Vec<FileFacts> = self
            .facts
            .iter()
            .filter(|f| f.path != file.path)
            .cloned()
            .collect();
        facts.extend(facts_of(file));
        ProjectIndex::build(self.config.clone(), facts)
    }
}

struct Source {
    path: PathBuf,
    text: String,
    group: usize,
}

struct Corpus {
    groups: Vec<Group>,
    sources: Vec<Source>,
}

impl Corpus {
    fn add_group(&mut self, config_dir: &Path, index: &[PathBuf], targets: &[PathBuf]) {
        let group = self.groups.len();
        self.groups.push(Group::new(config_dir, index));
        for p in targets {
            let Ok(file) = SourceFile::read(p) else {
                continue;
            };
            self.sources.push(Source {
                path: p.clone(),
                text: file.text,
                group,
            });
        }
    }
}

/// The testdata cases and the example project.
fn testdata() -> Corpus {
    let mut corpus = Corpus {
        groups: vec![],
        sources: vec![],
    };
    let cases = root().join("testdata/cases");
    let fixture = root().join("testdata/casefix.py");
    let mut singles = vec![];
    let mut dirs = vec![];
    for e in std::fs::read_dir(&cases).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            dirs.push(p);
        } else if p.extension().is_some_and(|x| x == "py") {
            singles.push(p);
        }
    }
    singles.sort();
    dirs.sort();
    // Each single case is indexed with the fixture (and itself, from its mutated text).
    corpus.add_group(&cases, std::slice::from_ref(&fixture), &singles);
    for d in dirs {
        let files = py_files(&d);
        corpus.add_group(&d, &files, &files);
    }
    let example = root().join("examples/inventory_service");
    let files = py_files(&example);
    corpus.add_group(&example, &files, &files);
    corpus
}

/// The trees under `dir` (each subfolder one tree, indexed on its own), keeping as sources
/// the files that may hold a session block (the others would only test the parser).
fn real_code(dir: &Path) -> Corpus {
    let mut corpus = Corpus {
        groups: vec![],
        sources: vec![],
    };
    let mut trees: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("CODEMOD_CORPUS_DIR={}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    trees.sort();
    if trees.is_empty() {
        trees.push(dir.to_path_buf());
    }
    for tree in trees {
        let files = py_files(&tree);
        let group = Group::new(&tree, &files);
        let index = ProjectIndex::build(group.config.clone(), group.facts.clone());
        let targets: Vec<PathBuf> = files
            .into_iter()
            .filter(|p| {
                SourceFile::read(p).is_ok_and(|f| {
                    index.may_contain_blocks(&f.text) && analyzer::skip_reason(&f.text).is_none()
                })
            })
            .collect();
        eprintln!(
            "corpus tree {}: {} files may hold blocks",
            tree.display(),
            targets.len()
        );
        let id = corpus.groups.len();
        corpus.groups.push(group);
        for p in targets {
            if let Ok(file) = SourceFile::read(&p) {
                corpus.sources.push(Source {
                    path: p,
                    text: file.text,
                    group: id,
                });
            }
        }
    }
    corpus
}

// ---------------------------------------------------------------------------------------
// Mutations

#[derive(Debug, Clone, Copy)]
enum Unit {
    TwoSpaces,
    Tab,
}

impl Unit {
    fn text(self) -> &'static str {
        match self {
            Unit::TwoSpaces => "  ",
            Unit::Tab => "\t",
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Shuffle the top-level statements.
    Reorder { seed: u64 },
    /// Insert `count` comments / strings / blank lines before or after statements.
    Insert { count: u8, seed: u64 },
    /// Re-indent every logical line with this unit.
    Indent(Unit),
    /// Wrap the `pick`-th top-level function in `class FuzzWrapper:`.
    WrapInClass { pick: usize, staticmethod: bool },
    /// Turn the `pick`-th sync function (any depth) into `async def`.
    MakeAsync { pick: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<u64>().prop_map(|seed| Mutation::Reorder { seed }),
        (1u8..6, any::<u64>()).prop_map(|(count, seed)| Mutation::Insert { count, seed }),
        prop_oneof![Just(Unit::TwoSpaces), Just(Unit::Tab)].prop_map(Mutation::Indent),
        (0usize..64, any::<bool>())
            .prop_map(|(pick, staticmethod)| Mutation::WrapInClass { pick, staticmethod }),
        (0usize..64).prop_map(|pick| Mutation::MakeAsync { pick }),
    ]
}

/// splitmix64: choices inside one mutation, from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn parse(text: &str) -> Option<Parsed<ModModule>> {
    ruff_python_parser::parse_module(text).ok()
}

fn at(offset: TextSize) -> usize {
    offset.to_usize()
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Offset just past the newline ending the line of `offset` (or the end of the text).
fn next_line(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

fn newline_of(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Only spaces and tabs between the line start and `offset`.
fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Ranges of strings spanning lines (plain, and whole f-/t-strings): no line inside them
/// is touched.
fn string_spans(parsed: &Parsed<ModModule>) -> Vec<TextRange> {
    let mut spans = vec![];
    let mut open: Vec<TextSize> = vec![];
    for t in parsed.tokens().iter() {
        match t.kind() {
            TokenKind::String => spans.push(t.range()),
            TokenKind::FStringStart | TokenKind::TStringStart => open.push(t.start()),
            TokenKind::FStringEnd | TokenKind::TStringEnd => {
                if let Some(s) = open.pop() {
                    if open.is_empty() {
                        spans.push(TextRange::new(s, t.end()));
                    }
                }
            }
            _ => {}
        }
    }
    spans
}

fn inside_string(spans: &[TextRange], offset: usize) -> bool {
    let o = TextSize::try_from(offset).unwrap();
    spans.iter().any(|s| s.start() < o && o < s.end())
}

/// Every statement at every depth.
fn all_statements(parsed: &Parsed<ModModule>) -> Vec<&Stmt> {
    struct Collect<'a>(Vec<&'a Stmt>);
    impl<'a> StatementVisitor<'a> for Collect<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            self.0.push(stmt);
            walk_stmt(self, stmt);
        }
    }
    let mut c = Collect(vec![]);
    c.visit_body(&parsed.syntax().body);
    c.0
}

fn reorder(text: &str, seed: u64) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    // Cut only where a statement starts its line (not after `;`).
    let cuts: Vec<usize> = parsed
        .syntax()
        .body
        .iter()
        .map(|s| at(s.start()))
        .filter(|&s| starts_line(text, s))
        .collect();
    if cuts.len() < 2 {
        return text.to_string();
    }
    let nl = newline_of(text);
    let mut chunks: Vec<String> = cuts
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let e = cuts.get(i + 1).copied().unwrap_or(text.len());
            let mut c = text[s..e].to_string();
            if !c.ends_with('\n') {
                c.push_str(nl);
            }
            c
        })
        .collect();
    let mut rng = Rng(seed);
    for i in (1..chunks.len()).rev() {
        chunks.swap(i, rng.below(i + 1));
    }
    let mut out = text[..cuts[0]].to_string();
    for c in chunks {
        out.push_str(&c);
    }
    out
}

fn insert(text: &str, count: u8, seed: u64) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    // (offset of a line start, indentation to use there)
    let mut points: Vec<(usize, String)> = vec![];
    for s in all_statements(&parsed) {
        let (start, end) = (at(s.start()), at(s.end()));
        if !starts_line(text, start) {
            continue;
        }
        let ls = line_start(text, start);
        let indent = text[ls..start].to_string();
        points.push((ls, indent.clone()));
        // After the statement when nothing but a comment follows it on its last line.
        let rest = &text[end..next_line(text, end)];
        let rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with('\n') || rest == "\r\n" {
            points.push((next_line(text, end), indent));
        }
    }
    if points.is_empty() {
        points.push((0, String::new()));
    }
    let nl = newline_of(text);
    let mut rng = Rng(seed);
    // (offset, indentation width, line)
    let mut chosen: Vec<(usize, usize, String)> = (0..count)
        .map(|i| {
            let (p, indent) = points[rng.below(points.len())].clone();
            let line = match rng.below(6) {
                0 => format!("{indent}# fuzz comment {i}: session.close() try: finally:{nl}"),
                1 => format!("{indent}\"fuzz string {i}\"{nl}"),
                2 => format!(
                    "{indent}'''fuzz{nl}multi-line string {i}{nl}    session.commit(){nl}'''{nl}"
                ),
                3 => nl.to_string(),
                4 => format!("{indent}{nl}"),
                _ => format!("{indent}#{nl}{nl}{indent}# fuzz{nl}"),
            };
            (p, indent.len(), line)
        })
        .collect();
    // The end of a text without a final newline is not a line start: end it first.
    let mut out = text.to_string();
    if !out.ends_with('\n') && chosen.iter().any(|(p, _, _)| *p == out.len()) {
        out.push_str(nl);
        for (p, _, _) in &mut chosen {
            if *p == text.len() {
                *p = out.len();
            }
        }
    }
    // Back to front. At one offset (after the last statements of nested blocks) the
    // shallowest line is inserted first so it ends up last: deeper lines stay in their
    // block.
    chosen.sort_by_key(|(p, width, _)| (std::cmp::Reverse(*p), *width));
    for (p, _, line) in chosen {
        out.insert_str(p, &line);
    }
    out
}

fn reindent(text: &str, unit: Unit) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    // (line start, first token of the logical line, depth)
    let mut lines: Vec<(usize, usize, usize)> = vec![];
    let mut comments: Vec<(usize, usize)> = vec![];
    let mut depth: usize = 0;
    let mut at_start = true;
    for t in parsed.tokens().iter() {
        match t.kind() {
            TokenKind::Indent => depth += 1,
            TokenKind::Dedent => depth = depth.saturating_sub(1),
            TokenKind::Newline => at_start = true,
            TokenKind::NonLogicalNewline => {}
            TokenKind::Comment => {
                let s = at(t.start());
                if starts_line(text, s) {
                    comments.push((line_start(text, s), s));
                }
            }
            _ => {
                if at_start {
                    let s = at(t.start());
                    lines.push((line_start(text, s), s, depth));
                    at_start = false;
                }
            }
        }
    }
    // Comment lines take the depth of code lines with the same indentation, else stay.
    let depth_of: HashMap<&str, usize> =
        lines.iter().map(|&(ls, s, d)| (&text[ls..s], d)).collect();
    let mut edits: Vec<(usize, usize, String)> = lines
        .iter()
        .map(|&(ls, s, d)| (ls, s, unit.text().repeat(d)))
        .collect();
    for (ls, s) in comments {
        if let Some(&d) = depth_of.get(&text[ls..s]) {
            edits.push((ls, s, unit.text().repeat(d)));
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    edits.dedup_by_key(|e| e.0);
    let mut out = text.to_string();
    for (ls, s, indent) in edits {
        out.replace_range(ls..s, &indent);
    }
    out
}

/// The indentation unit of the first indented line (four spaces when there is none).
fn unit_of(text: &str, parsed: &Parsed<ModModule>) -> String {
    parsed
        .tokens()
        .iter()
        .find(|t| t.kind() == TokenKind::Indent)
        .map(|t| text[t.range()].to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "    ".to_string())
}

fn wrap_in_class(text: &str, pick: usize, staticmethod: bool) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    let funcs: Vec<&Stmt> = parsed
        .syntax()
        .body
        .iter()
        .filter(|s| matches!(s, Stmt::FunctionDef(_)) && starts_line(text, at(s.start())))
        .collect();
    if funcs.is_empty() {
        return text.to_string();
    }
    let f = funcs[pick % funcs.len()];
    let unit = unit_of(text, &parsed);
    let strings = string_spans(&parsed);
    let nl = newline_of(text);
    let (start, end) = (at(f.start()), next_line(text, at(f.end())));
    let mut body = String::new();
    let mut ls = start;
    while ls < end {
        let le = next_line(text, ls).min(end);
        let line = &text[ls..le];
        if !line.trim().is_empty() && !inside_string(&strings, ls) {
            body.push_str(&unit);
        }
        body.push_str(line);
        ls = le;
    }
    if !body.ends_with('\n') {
        body.push_str(nl);
    }
    let mut header = format!("class FuzzWrapper{pick}:{nl}");
    if staticmethod {
        header.push_str(&format!("{unit}@staticmethod{nl}"));
    }
    format!("{}{header}{body}{}", &text[..start], &text[end..])
}

fn make_async(text: &str, pick: usize) -> String {
    let Some(parsed) = parse(text) else {
        return text.to_string();
    };
    let funcs: Vec<TextSize> = all_statements(&parsed)
        .into_iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if !f.is_async => Some(f.start()),
            _ => None,
        })
        .collect();
    if funcs.is_empty() {
        return text.to_string();
    }
    let start = funcs[pick % funcs.len()];
    let Some(def) = parsed
        .tokens()
        .iter()
        .find(|t| t.start() >= start && t.kind() == TokenKind::Def)
    else {
        return text.to_string();
    };
    let mut out = text.to_string();
    out.insert_str(at(def.start()), "async ");
    out
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut text = text.to_string();
    for m in mutations {
        text = match *m {
            Mutation::Reorder { seed } => reorder(&text, seed),
            Mutation::Insert { count, seed } => insert(&text, count, seed),
            Mutation::Indent(unit) => reindent(&text, unit),
            Mutation::WrapInClass { pick, staticmethod } => {
                wrap_in_class(&text, pick, staticmethod)
            }
            Mutation::MakeAsync { pick } => make_async(&text, pick),
        };
    }
    text
}

// ---------------------------------------------------------------------------------------
// The properties

#[derive(Default)]
struct Stats {
    inputs: AtomicUsize,
    unparsable: AtomicUsize,
    changed: AtomicUsize,
}

/// Plan `text` (as the file at `path` of `group`) with both selections; the output parses
/// and a second plan over it rewrites nothing.
fn check(group: &Group, path: &Path, text: &str, stats: &Stats) -> Result<(), String> {
    stats.inputs.fetch_add(1, Ordering::Relaxed);
    let file = SourceFile::from_text(path, text.to_string());
    let parses = analyzer::parse(&file).is_ok();
    if !parses {
        stats.unparsable.fetch_add(1, Ordering::Relaxed);
        if env_set("CODEMOD_FUZZ_SHOW_UNPARSABLE") {
            let e = analyzer::parse(&file).unwrap_err();
            eprintln!("--- does not parse ({e}): {}\n{text}\n---", path.display());
        }
    }
    let index = group.index_with(&file);
    for selection in [Selection::SafeAndReview, Selection::SafeOnly] {
        let plan = match plan_file(file.clone(), &index, selection) {
            Ok(plan) if parses => plan,
            Ok(_) => return Err("input does not parse, yet it was planned".into()),
            Err(PlanError::Input(_)) if !parses => return Ok(()),
            Err(e) => return Err(format!("{selection:?}: {e}")),
        };
        if !plan.is_changed() {
            continue;
        }
        stats.changed.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = analyzer::parse_text(&plan.rewritten) {
            return Err(format!(
                "{selection:?}: output does not parse: {e}\n{}",
                plan.rewritten
            ));
        }
        // A second run re-indexes the rewritten file, as `codemod plan` would.
        let again = SourceFile::from_text(path, plan.rewritten.clone());
        let index = group.index_with(&again);
        let replan = plan_file(again, &index, selection)
            .map_err(|e| format!("{selection:?}: second plan fails: {e}\n{}", plan.rewritten))?;
        let left: Vec<String> = replan
            .findings
            .iter()
            .filter(|f| f.applied)
            .map(|f| format!("{}:{} {} [{}]", f.line, f.column, f.kind, f.safety))
            .collect();
        if !left.is_empty() {
            return Err(format!(
                "{selection:?}: not idempotent, a second plan still rewrites {left:?}\n--- output\n{}",
                plan.rewritten
            ));
        }
    }
    Ok(())
}

use fuzz::env_set;

fn config(default_cases: u32) -> Config {
    fuzz::config(default_cases, DEFAULT_SEED)
}

fn next_seed(seed: RngSeed, round: u64) -> RngSeed {
    match seed {
        RngSeed::Fixed(s) => RngSeed::Fixed(s.wrapping_add(round.wrapping_mul(0x9e37_79b9))),
        RngSeed::Random => RngSeed::Random,
    }
}

/// Run the property over `corpus`; print figures; fail with the minimal reproducer.
fn run(name: &str, corpus: &Corpus, default_cases: u32) {
    assert!(!corpus.sources.is_empty(), "{name}: no sources");
    let config = config(default_cases);
    let keep_going = env_set("CODEMOD_FUZZ_KEEP_GOING");
    let stats = Stats::default();
    let started = Instant::now();
    let strategy = (
        0..corpus.sources.len(),
        prop::collection::vec(mutation(), 0..5),
    );
    let mut failures: Vec<String> = vec![];
    let mut remaining = config.cases;
    let mut round = 0;
    while remaining > 0 {
        let before = stats.inputs.load(Ordering::Relaxed);
        let mut runner = TestRunner::new(Config {
            cases: remaining,
            rng_seed: next_seed(config.rng_seed, round),
            ..config.clone()
        });
        let result = runner.run(&strategy, |(i, mutations)| {
            let source = &corpus.sources[i];
            let text = mutate(&source.text, &mutations);
            let group = &corpus.groups[source.group];
            // A panic is a failure like any other (and is shrunk like one).
            match std::panic::catch_unwind(AssertUnwindSafe(|| {
                check(group, &source.path, &text, &stats)
            })) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(msg)) => Err(TestCaseError::fail(msg)),
                Err(p) => Err(TestCaseError::fail(format!(
                    "panicked: {}",
                    fuzz::panic_message(&*p)
                ))),
            }
        });
        match result {
            Ok(()) => break,
            Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
            Err(TestError::Fail(why, (i, mutations))) => {
                let source = &corpus.sources[i];
                let text = mutate(&source.text, &mutations);
                let report = format!(
                    "{name}: FAILED on {} after {:?}\n  mutations: {mutations:?}\n  why: {why}\n\
                     --- minimal mutated input (save as testdata/regressions/<name>.py)\n{text}\n--- end",
                    source.path.display(),
                    started.elapsed(),
                );
                eprintln!("{report}");
                failures.push(report);
                if !keep_going {
                    break;
                }
                // Cases are counted roughly: the inputs tried, shrinking included.
                let used = stats.inputs.load(Ordering::Relaxed) - before;
                remaining = remaining.saturating_sub(u32::try_from(used).unwrap_or(u32::MAX));
                round += 1;
            }
        }
    }
    eprintln!(
        "{name}: {} sources, {} inputs planned (shrinking included) in {:.1?}: \
         {} did not parse, {} plans changed the text, {} failure(s)",
        corpus.sources.len(),
        stats.inputs.load(Ordering::Relaxed),
        started.elapsed(),
        stats.unparsable.load(Ordering::Relaxed),
        stats.changed.load(Ordering::Relaxed),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn mutated_testdata_plans_safely() {
    run("testdata", &testdata(), DEFAULT_CASES);
}

/// Real code: the trees of `cargo xtask corpus` (or any folder of trees).
#[test]
fn mutated_corpus_files() {
    let Some(dir) = std::env::var_os("CODEMOD_CORPUS_DIR").filter(|d| !d.is_empty()) else {
        eprintln!("mutated_corpus_files: CODEMOD_CORPUS_DIR not set, nothing to do");
        return;
    };
    run("corpus", &real_code(Path::new(&dir)), DEFAULT_CORPUS_CASES);
}

/// Reproducers kept from failures: each `testdata/regressions/*.py`, planned as a single
/// case (with the fixture), must satisfy the properties.
#[test]
fn regressions() {
    let dir = root().join("testdata/regressions");
    let files: Vec<PathBuf> = py_files(&dir);
    let group = Group::new(
        &root().join("testdata/cases"),
        &[root().join("testdata/casefix.py")],
    );
    let stats = Stats::default();
    let failed: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let text = SourceFile::read(p).unwrap().text;
            check(&group, p, &text, &stats)
                .err()
                .map(|e| format!("{}: {e}", p.display()))
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

// ---------------------------------------------------------------------------------------
// The mutations themselves

#[test]
fn mutations_keep_a_simple_module_parsing() {
    let src = "\"\"\"Doc.\"\"\"\nimport os\n\n\n@dec\ndef f(a):\n    x = 1  # c\n    if a:\n        # inner\n        return '''\n  keep\n'''\n    return x\n\n\nclass C:\n    def m(self):\n        pass\n";
    let all = [
        Mutation::Reorder { seed: 3 },
        Mutation::Insert { count: 5, seed: 7 },
        Mutation::Indent(Unit::Tab),
        Mutation::Indent(Unit::TwoSpaces),
        Mutation::WrapInClass {
            pick: 0,
            staticmethod: true,
        },
        Mutation::MakeAsync { pick: 1 },
    ];
    for m in &all {
        let out = mutate(src, std::slice::from_ref(m));
        assert!(parse(&out).is_some(), "{m:?} broke the module:\n{out}");
        assert_ne!(out, src, "{m:?} changed nothing");
        assert!(
            out.contains("'''\n  keep\n'''"),
            "{m:?} touched a string:\n{out}"
        );
    }
    let out = mutate(src, &all);
    assert!(parse(&out).is_some(), "{out}");
    assert!(mutate(src, &[Mutation::Indent(Unit::Tab)]).contains("\n\t\t# inner\n"));
    assert!(mutate(src, &[Mutation::MakeAsync { pick: 0 }]).contains("@dec\nasync def f"));
}
