//! Whole-pipeline fuzz (issue 12): bytes as `codemod` reads them from disk go through every
//! step a run takes (decode, the nesting check, parse, pass-1 facts, the project index,
//! analysis, planning with both selections, the verify of the output) and must come out as
//! a plan or a per-file input error: no panic, no stack overflow, output that parses, and
//! no input taking longer than `SLOW` to plan.
//!
//! Inputs are of two kinds: soups of Python tokens and raw bytes (BOMs, NULs, invalid
//! UTF-8, CR line ends, unclosed strings and brackets, session blocks cut anywhere), and
//! structured deep nesting (operators, calls, attributes, subscripts, `not`, lambdas,
//! brackets, f-string fields; from shallow to past the nesting limit) around a session
//! block. Cases run on a thread with the stack `codemod` gives its workers.
//!
//! The suite runs a small fixed slice; `PROPTEST_CASES` / `PROPTEST_RNG_SEED` as for the
//! mutation test (docs/fuzzing.md).

use std::path::Path;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use analyzer::{LoadedConfig, ProjectIndex, SourceFile};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rewriter::{plan_file, PlanError, Selection};

#[path = "common/fuzz.rs"]
mod fuzz;

/// Cases in the suite's slice.
const DEFAULT_CASES: u32 = 300;
const DEFAULT_SEED: u64 = 0xf022_0b17_e5;
/// No input may take longer than this to plan (both selections).
const SLOW: Duration = Duration::from_secs(10);
/// The stack of `codemod`'s worker threads.
const STACK: usize = 512 << 20;

const DB: &str = "from contextlib import contextmanager\n\
from sqlalchemy.orm import sessionmaker\n\n\
SessionLocal = sessionmaker()\n\n\n\
@contextmanager\n\
def get_session():\n    session = SessionLocal()\n    try:\n        yield session\n        \
session.commit()\n    except Exception:\n        session.rollback()\n        raise\n    \
finally:\n        session.close()\n";

const BLOCK: &str = "def job(x):\n    session = SessionLocal()\n    try:\n        \
session.add(x)\n        session.commit()\n    except Exception:\n        session.rollback()\n        \
raise\n    finally:\n        session.close()\n";

/// Pieces the soups are made of.
const PIECES: &[&str] = &[
    "from db import SessionLocal\n",
    "session",
    " = ",
    "SessionLocal()",
    "\n",
    "    ",
    "\t",
    "try:",
    "except Exception:",
    "except:",
    "finally:",
    "raise",
    "session.commit()",
    "session.rollback()",
    "session.close()",
    "with ",
    " as ",
    "async ",
    "await ",
    "def f():",
    "class C:",
    "yield session",
    "return",
    "lambda",
    "not ",
    "+",
    ".",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    "\"",
    "\"\"\"",
    "f'{",
    "#",
    "\\",
    "\r",
    "\r\n",
    "\u{feff}",
    "é",
    "0",
    "x",
    "if x:",
    "for s in xs:",
    "global session",
    "nonlocal s",
    BLOCK,
];

#[derive(Debug, Clone)]
enum Input {
    /// Token pieces (by index), with raw bytes spliced in at some positions.
    Soup(Vec<usize>, Vec<(usize, u8)>),
    /// One deeply nested expression of a shape, `depth` levels, beside a block.
    Deep(usize, usize),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => (
            prop::collection::vec(0..PIECES.len(), 0..120),
            prop::collection::vec((0..4000usize, raw_byte()), 0..3)
        )
            .prop_map(|(p, b)| Input::Soup(p, b)),
        1 => (0..SHAPES, depth()).prop_map(|(s, d)| Input::Deep(s, d)),
    ]
}

/// Mostly printable ASCII, sometimes any byte (invalid UTF-8, NUL, CR).
fn raw_byte() -> impl Strategy<Value = u8> {
    prop_oneof![3 => 0x20u8..0x7f, 1 => any::<u8>()]
}

/// Shallow, moderately deep, and around the nesting limit. A debug build plans the band
/// just below the limit slowly (seconds an input), so the suite's slice (debug) takes
/// the refused side only; release runs take both.
fn depth() -> impl Strategy<Value = usize> {
    let limit = 20_000usize;
    if cfg!(debug_assertions) {
        prop_oneof![0..200usize, 200..2_000usize, limit + 1..2 * limit].boxed()
    } else {
        prop_oneof![0..200usize, 200..5_000usize, limit - 5_000..2 * limit].boxed()
    }
}

const SHAPES: usize = 8;

fn deep(shape: usize, n: usize) -> String {
    let expr = match shape {
        0 => vec!["a"; n + 1].join("+"),
        1 => format!("{}a{}", "f(".repeat(n), ")".repeat(n)),
        2 => format!("a{}", ".b".repeat(n)),
        3 => format!("a{}", "[0]".repeat(n)),
        4 => format!("{}a", "not ".repeat(n)),
        5 => format!("{}a", "lambda: ".repeat(n)),
        6 => format!("{}a{}", "[".repeat(n), "]".repeat(n)),
        // Nested f-strings parse slowly in a debug build: fewer there.
        _ => {
            let n = n.min(if cfg!(debug_assertions) { 300 } else { 3_000 });
            format!("{}a{}", "f'{".repeat(n), "}'".repeat(n))
        }
    };
    format!("from db import SessionLocal\n\n\n{BLOCK}\n\nx = {expr}\n")
}

fn bytes_of(input: &Input) -> Vec<u8> {
    match input {
        Input::Soup(pieces, raw) => {
            let mut out: Vec<u8> = pieces.iter().flat_map(|&i| PIECES[i].bytes()).collect();
            for &(at, b) in raw {
                let at = at.min(out.len());
                out.insert(at, b);
            }
            out
        }
        Input::Deep(shape, n) => deep(*shape, *n).into_bytes(),
    }
}

/// The project folder the inputs are planned in (a root marker, nothing else on disk).
fn project() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp folder");
        // Module names are looked up on disk: the files exist (the inputs replace app.py's
        // text in memory).
        for (name, text) in [
            ("pyproject.toml", "[project]\nname = \"fuzz\"\n"),
            ("db.py", DB),
            ("app.py", ""),
        ] {
            std::fs::write(dir.path().join(name), text).expect("written");
        }
        dir
    })
    .path()
}

#[derive(Default)]
struct Stats {
    inputs: AtomicUsize,
    not_decoded: AtomicUsize,
    not_parsed: AtomicUsize,
    changed: AtomicUsize,
    slowest_ms: AtomicUsize,
}

/// One input through the pipeline: a plan whose output parses, or an input error.
fn check(bytes: Vec<u8>, stats: &Stats) -> Result<(), String> {
    stats.inputs.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let root = project();
    let path = root.join("app.py");
    let file = match SourceFile::from_bytes(&path, bytes) {
        Ok(f) => f,
        Err(_) => {
            stats.not_decoded.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
    };
    let db = SourceFile::from_text(&root.join("db.py"), DB.to_string());
    let mut facts = vec![];
    for f in [&db, &file] {
        match analyzer::parse(f) {
            Ok(parsed) => facts.push(analyzer::collect_facts(
                f,
                &parsed,
                analyzer::module_name(&f.path),
            )),
            Err(_) => {
                stats.not_parsed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let parses = facts.len() == 2;
    let config = LoadedConfig::discover(root).map_err(|e| e.to_string())?;
    let index = ProjectIndex::build_in(root, config, facts);
    for selection in [Selection::SafeAndReview, Selection::SafeOnly] {
        match plan_file(file.clone(), &index, selection) {
            Ok(_) if !parses => return Err("input does not parse, yet it was planned".into()),
            Ok(plan) if plan.is_changed() => {
                stats.changed.fetch_add(1, Ordering::Relaxed);
                analyzer::parse_text(&plan.rewritten)
                    .map_err(|e| format!("{selection:?}: output does not parse: {e}"))?;
                // The diff is part of what a run prints.
                let _ = plan.unified_diff("app.py");
            }
            Ok(_) => {}
            Err(PlanError::Input(_)) if !parses => return Ok(()),
            Err(e) => return Err(format!("{selection:?}: {e}")),
        }
    }
    let took = started.elapsed();
    stats
        .slowest_ms
        .fetch_max(took.as_millis() as usize, Ordering::Relaxed);
    if took > SLOW {
        return Err(format!("took {took:?}"));
    }
    Ok(())
}

fn run() {
    let config = fuzz::config(DEFAULT_CASES, DEFAULT_SEED);
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    // `CODEMOD_FUZZ_SECONDS`: stop planning after that long (the remaining cases pass
    // untried), so a long run ends on time with its figures.
    let deadline = std::env::var("CODEMOD_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|s| started + Duration::from_secs(s));
    let result = runner.run(&input(), |input| {
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Ok(());
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check(bytes_of(&input), &stats)
        })) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(msg)) => Err(TestCaseError::fail(msg)),
            Err(p) => Err(TestCaseError::fail(format!(
                "panicked: {}",
                fuzz::panic_message(&*p)
            ))),
        }
    });
    eprintln!(
        "pipeline fuzz: {} inputs in {:.1?}: {} not UTF-8 text, {} did not parse, {} plans \
         changed the text, slowest input {} ms",
        stats.inputs.load(Ordering::Relaxed),
        started.elapsed(),
        stats.not_decoded.load(Ordering::Relaxed),
        stats.not_parsed.load(Ordering::Relaxed),
        stats.changed.load(Ordering::Relaxed),
        stats.slowest_ms.load(Ordering::Relaxed),
    );
    if let Err(e) = result {
        let shown = match &e {
            proptest::test_runner::TestError::Fail(why, input) => {
                let text = String::from_utf8_lossy(&bytes_of(input)).into_owned();
                let cut: String = text.chars().take(2_000).collect();
                let shape = match input {
                    Input::Deep(shape, depth) => format!("deep shape {shape}, {depth} levels"),
                    Input::Soup(..) => "soup".to_string(),
                };
                format!("{why} ({shape})\n--- input (first 2,000 characters)\n{cut}\n--- end")
            }
            other => other.to_string(),
        };
        panic!("pipeline fuzz failed: {shown}");
    }
}

#[test]
fn bytes_and_deep_nesting_go_through_the_pipeline() {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(run)
        .expect("a thread with the workers' stack")
        .join()
        .expect("the fuzz thread does not panic");
}

#[test]
fn a_shallow_deep_input_is_rewritten() {
    let stats = Stats::default();
    check(deep(0, 10).into_bytes(), &stats).unwrap();
    assert_eq!(stats.changed.load(Ordering::Relaxed), 2);
}
