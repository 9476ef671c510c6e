//! `codemod apply -i FILE...`: each rewrite's diff with its class and reason, then
//! `y` apply / `n` skip / `a` this and the rest of the file / `q` quit, like `git add -p`.
//! The file is written once its rewrites are decided, with exactly the accepted ones.
//!
//! The rewriter plans a file as a whole, so a subset is put together here: the rewrites
//! are grouped into units (rewrites whose edits overlap or nest are one unit: they cannot
//! be taken apart), each changed line of the full plan belongs to the unit whose edits
//! cover it, and the import lines are adjusted by name (keep an import a rejected block
//! still uses, add one an accepted block needs). The result is re-planned before it is
//! written: it must parse and still plan exactly the rejected rewrites, else the file is
//! left untouched. (A rewriter entry point that plans only chosen findings would replace
//! this assembly.)

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use analyzer::{Safety, SourceFile};
use engine::Project;
use owo_colors::OwoColorize;
use rewriter::{PlannedFinding, Selection};
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::commands::apply::ApplyArgs;
use crate::commands::{check_exist, exit, load_config, CmdResult, UsageError};
use crate::pipeline;
use crate::walk;

/// The answer to one prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    All,
    Quit,
}

pub fn run(args: &ApplyArgs) -> CmdResult {
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "apply -i asks about each rewrite and needs a terminal (stdin is not one); \
             without one use `codemod apply FILE...`, or `codemod plan --patch-dir DIR` \
             and `codemod apply --patch`"
                .to_string(),
        ));
    }
    check_exist(&args.files)?;
    if let Some(dir) = args.files.iter().find(|p| walk::is_dir(p)) {
        if !args.all {
            return Err(UsageError(format!(
                "{}: is a directory; `apply -i` asks about the files it is given \
                 (pass --all to go through every Python file below it)",
                dir.display()
            )));
        }
    }
    let config = load_config(args.config.as_deref(), &args.files[0])?;
    let walked = walk::collect(&args.files, &config);
    let root = walk::project_root(&args.files[0], &config);
    let _lock = rewriter::lock_project(&root).map_err(|busy| UsageError(busy.to_string()))?;
    let index_files = pipeline::index_files(&root, &config, &args.files, &walked.files);
    let languages = walk::languages(&walked.files);
    let indexed = pipeline::build_index(&root, config, &index_files, &languages)?;
    let selection = if args.include_review {
        Selection::SafeAndReview
    } else {
        Selection::SafeOnly
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = anstream::stdout().lock();
    let mut code = exit::OK;
    for err in &walked.errors {
        crate::render::print_error(err);
        code = exit::FILE_ERRORS;
    }
    for target in &walked.files {
        match review_file(
            &indexed.project,
            &target.path,
            &target.display,
            selection,
            &mut input,
            &mut out,
        ) {
            Ok(Flow::Next) => {}
            Ok(Flow::Quit) => break,
            Err(message) => {
                let _ = writeln!(
                    anstream::stderr(),
                    "{}: {}: {message}; file left untouched",
                    "error".red().bold(),
                    target.display
                );
                code = code.max(exit::FILE_ERRORS);
            }
        }
    }
    let _ = out.flush();
    Ok(code)
}

enum Flow {
    Next,
    Quit,
}

/// Rewrites that can only be taken together, and the lines (0-based) their edits cover.
#[derive(Debug, Clone)]
struct Unit {
    /// Indices into the plan's findings.
    findings: Vec<usize>,
    first_line: usize,
    last_line: usize,
}

fn review_file(
    project: &Project,
    path: &Path,
    display: &str,
    selection: Selection,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Flow, String> {
    let file = SourceFile::read(path).map_err(|e| e.to_string())?;
    if let Some(why) = engine::skip_reason(&file) {
        let _ = writeln!(out, "skipped {display}: {why}");
        return Ok(Flow::Next);
    }
    let plan = project
        .plan(file.clone(), selection, &|_| true)
        .map_err(|e| e.to_string())?;
    for f in plan.findings.iter().filter(|f| !f.applied) {
        let _ = writeln!(
            out,
            "{display}:{} {} [{}] (not offered) {}",
            f.line, f.kind, f.safety, f.reason
        );
    }
    if !plan.is_changed() {
        return Ok(Flow::Next);
    }
    let units = units(&file, &plan.findings);
    let ops = owned_ops(&file.text, &plan.rewritten, &units);
    let mut accepted: Vec<bool> = vec![false; units.len()];
    let mut flow = Flow::Next;
    let mut rest = false;
    for (i, unit) in units.iter().enumerate() {
        if rest {
            accepted[i] = true;
            continue;
        }
        for &fi in &unit.findings {
            let f = &plan.findings[fi];
            let class = match f.safety {
                Safety::Safe => f.safety.green().to_string(),
                Safety::Review => f.safety.yellow().to_string(),
                Safety::Manual => f.safety.red().to_string(),
            };
            let _ = writeln!(
                out,
                "{}",
                format!("{display}:{} {} [{class}] {}", f.line, f.kind, f.reason).bold()
            );
        }
        let only = compose_lines(&file.text, &plan.rewritten, &ops, |u| u == Some(i));
        let diff = similar::TextDiff::from_lines(file.text.as_str(), only.as_str());
        let diff = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{display}"), &format!("b/{display}"))
            .to_string();
        for line in diff.lines() {
            let _ = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => writeln!(out, "{}", line.green()),
                Some(b'-') if !line.starts_with("---") => writeln!(out, "{}", line.red()),
                Some(b'@') => writeln!(out, "{}", line.cyan()),
                _ => writeln!(out, "{line}"),
            };
        }
        match ask(input, out, i + 1, units.len())? {
            Answer::Yes => accepted[i] = true,
            Answer::No => {}
            Answer::All => {
                accepted[i] = true;
                rest = true;
            }
            Answer::Quit => {
                flow = Flow::Quit;
                break;
            }
        }
    }
    let taken = accepted.iter().filter(|a| **a).count();
    if taken == 0 {
        let _ = writeln!(out, "{display}: nothing applied");
        return Ok(flow);
    }
    let new_text = if taken == units.len() {
        plan.rewritten.clone()
    } else {
        // The accepted units' lines; the import lines stay the original's and are
        // adjusted by name.
        let text = compose_lines(&file.text, &plan.rewritten, &ops, |u| {
            u.is_some_and(|u| accepted[u])
        });
        let text = match engine::language_of(path) {
            codemod_core::Language::Python => fix_imports(&file.text, &plan.rewritten, &text)?,
            // Rust rewrites add or remove no imports.
            codemod_core::Language::Rust => text,
        };
        verify(
            &file,
            project,
            selection,
            &plan.findings,
            &units,
            &accepted,
            &text,
        )?;
        text
    };
    rewriter::write_atomic(path, &file.original_bytes(), &file.to_bytes(&new_text))
        .map_err(|e| e.to_string())?;
    let rewrites: usize = units
        .iter()
        .zip(&accepted)
        .filter(|(_, a)| **a)
        .map(|(u, _)| u.findings.len())
        .sum();
    let all: usize = units.iter().map(|u| u.findings.len()).sum();
    let _ = writeln!(
        out,
        "{} {rewrites} of {all} rewrite{} to {display}",
        "applied".green().bold(),
        if all == 1 { "" } else { "s" }
    );
    Ok(flow)
}

fn ask(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    n: usize,
    total: usize,
) -> Result<Answer, String> {
    loop {
        let _ = write!(
            out,
            "{}",
            format!("({n}/{total}) Apply this rewrite [y,n,a,q,?]? ").blue()
        );
        let _ = out.flush();
        let mut line = String::new();
        let read = input.read_line(&mut line).map_err(|e| e.to_string())?;
        if read == 0 {
            return Ok(Answer::Quit);
        }
        match line.trim() {
            "y" | "Y" | "yes" => return Ok(Answer::Yes),
            "n" | "N" | "no" => return Ok(Answer::No),
            "a" | "A" => return Ok(Answer::All),
            "q" | "Q" => return Ok(Answer::Quit),
            _ => {
                let _ = writeln!(
                    out,
                    "y - apply this rewrite\n\
                     n - do not apply this rewrite\n\
                     a - apply this rewrite and all later ones in the file\n\
                     q - quit; rewrites accepted so far are written, nothing else"
                );
            }
        }
    }
}

/// Group the plan's applied findings into units by the lines their edits cover.
fn units(file: &SourceFile, planned: &[PlannedFinding]) -> Vec<Unit> {
    let mut units: Vec<Unit> = vec![];
    for (i, p) in planned.iter().enumerate() {
        if !p.applied {
            continue;
        }
        let hull = p.edits_span.unwrap_or(p.range);
        let first = file.line_of(hull.start()) - 1;
        let end = if hull.end() > hull.start() {
            hull.end() - TextSize::from(1)
        } else {
            hull.end()
        };
        let last = file.line_of(end) - 1;
        units.push(Unit {
            findings: vec![i],
            first_line: first,
            last_line: last.max(first),
        });
    }
    merge_overlapping(units)
}

fn merge_overlapping(mut units: Vec<Unit>) -> Vec<Unit> {
    units.sort_by_key(|u| (u.first_line, u.last_line));
    let mut merged: Vec<Unit> = vec![];
    for u in units {
        match merged.last_mut() {
            Some(m) if u.first_line <= m.last_line => {
                m.last_line = m.last_line.max(u.last_line);
                m.findings.extend(u.findings);
            }
            _ => merged.push(u),
        }
    }
    merged
}

/// A changed run of lines of the full plan: old lines `old`, new lines `new`, and the
/// unit it belongs to (`None`: outside every rewrite, i.e. imports).
#[derive(Debug, Clone)]
struct Op {
    old: std::ops::Range<usize>,
    new: std::ops::Range<usize>,
    unit: Option<usize>,
}

fn owned_ops(old: &str, new: &str, units: &[Unit]) -> Vec<Op> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut ops = vec![];
    for op in diff.ops() {
        if op.tag() == similar::DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let unit = if o.is_empty() {
            // An insertion before old line `o.start`: inside a unit, else right after one.
            units
                .iter()
                .position(|u| u.first_line <= o.start && o.start <= u.last_line)
                .or_else(|| units.iter().position(|u| o.start == u.last_line + 1))
        } else {
            units
                .iter()
                .position(|u| o.start <= u.last_line && u.first_line < o.end)
        };
        ops.push(Op {
            old: o,
            new: n,
            unit,
        });
    }
    ops
}

/// The original text with the ops `keep` selects replaced by their new lines.
fn compose_lines(old: &str, new: &str, ops: &[Op], keep: impl Fn(Option<usize>) -> bool) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut out = String::with_capacity(old.len());
    let mut at = 0;
    for op in ops {
        if !keep(op.unit) {
            continue;
        }
        for l in &old_lines[at..op.old.start] {
            out.push_str(l);
        }
        for l in &new_lines[op.new.clone()] {
            out.push_str(l);
        }
        at = op.old.end;
    }
    for l in &old_lines[at..] {
        out.push_str(l);
    }
    out
}

/// Names bound by the module's top-level imports: name -> (statement range, alias
/// range, the alias as written, `from` module with its dots or `None` for `import x`).
type Bindings = BTreeMap<String, (TextRange, TextRange, String, Option<String>)>;

fn bindings(text: &str, body: &[Stmt]) -> Bindings {
    let mut out = Bindings::new();
    for stmt in body {
        match stmt {
            Stmt::Import(s) => {
                for a in &s.names {
                    let bound = match &a.asname {
                        Some(n) => n.id.to_string(),
                        None => a.name.id.split('.').next().unwrap_or("").to_string(),
                    };
                    out.insert(bound, (s.range, a.range, text[a.range].to_string(), None));
                }
            }
            Stmt::ImportFrom(s) => {
                let module = format!(
                    "{}{}",
                    ".".repeat(s.level as usize),
                    s.module.as_ref().map_or("", |m| m.id.as_str())
                );
                for a in &s.names {
                    let bound = a.asname.as_ref().unwrap_or(&a.name).id.to_string();
                    if bound == "*" {
                        continue;
                    }
                    out.insert(
                        bound,
                        (
                            s.range,
                            a.range,
                            text[a.range].to_string(),
                            Some(module.clone()),
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// A name is used outside the import statements.
fn used(
    text: &str,
    tokens: &[ruff_python_ast::token::Token],
    imports: &[TextRange],
    name: &str,
) -> bool {
    tokens.iter().any(|t| {
        t.kind() == TokenKind::Name
            && &text[t.range()] == name
            && !imports.iter().any(|r| r.contains_range(t.range()))
    })
}

/// Adjust the imports of `composed` (which has the original's import lines): add what an
/// accepted rewrite needs (as the full plan imports it), drop what the full plan dropped
/// and nothing uses any more.
fn fix_imports(original: &str, full: &str, composed: &str) -> Result<String, String> {
    let parse = |t: &str| analyzer::parse_text(t).map_err(|e| format!("internal error: {e}"));
    let p_orig = parse(original)?;
    let p_full = parse(full)?;
    let p_comp = parse(composed)?;
    let b_orig = bindings(original, &p_orig.syntax().body);
    let b_full = bindings(full, &p_full.syntax().body);
    let b_comp = bindings(composed, &p_comp.syntax().body);
    let import_ranges: Vec<TextRange> = b_comp.values().map(|v| v.0).collect();
    let is_used = |name: &str| used(composed, p_comp.tokens(), &import_ranges, name);

    let mut edits: Vec<(TextRange, String)> = vec![];
    // Drop: bound originally, dropped by the full plan, unused now.
    let mut drop_by_stmt: BTreeMap<TextSize, Vec<String>> = BTreeMap::new();
    for name in b_orig.keys() {
        if !b_full.contains_key(name) && b_comp.contains_key(name) && !is_used(name) {
            drop_by_stmt
                .entry(b_comp[name].0.start())
                .or_default()
                .push(name.clone());
        }
    }
    for names in drop_by_stmt.values() {
        let stmt = b_comp[&names[0]].0;
        let mut aliases: Vec<(TextRange, bool)> = b_comp
            .iter()
            .filter(|(_, v)| v.0 == stmt)
            .map(|(n, v)| (v.1, names.contains(n)))
            .collect();
        aliases.sort_by_key(|a| a.0.start());
        if aliases.iter().all(|a| a.1) {
            let start = line_start(composed, stmt.start());
            let end = line_end(composed, stmt.end());
            edits.push((TextRange::new(start, end), String::new()));
            continue;
        }
        for (k, (range, dropped)) in aliases.iter().enumerate() {
            if !dropped {
                continue;
            }
            let kept_before = aliases[..k].iter().any(|a| !a.1);
            let span = if kept_before {
                TextRange::new(aliases[k - 1].0.end(), range.end())
            } else {
                TextRange::new(range.start(), aliases[k + 1].0.start())
            };
            edits.push((span, String::new()));
        }
    }
    // Add: bound by the full plan, not bound now, used now.
    let mut new_lines = String::new();
    for (name, (_, _, alias, module)) in &b_full {
        if b_comp.contains_key(name) || !is_used(name) {
            continue;
        }
        let same_module = b_comp.values().find(|v| {
            v.3.is_some() && v.3 == *module && !composed[v.0].contains(['(', '\\', '\n'])
        });
        match (module, same_module) {
            (Some(_), Some(v)) => {
                let last = b_comp
                    .values()
                    .filter(|w| w.0 == v.0)
                    .map(|w| w.1.end())
                    .max()
                    .unwrap_or(v.1.end());
                edits.push((TextRange::empty(last), format!(", {alias}")));
            }
            (Some(m), None) => new_lines.push_str(&format!("from {m} import {alias}\n")),
            (None, _) => new_lines.push_str(&format!("import {alias}\n")),
        }
    }
    if !new_lines.is_empty() {
        let at = b_comp
            .values()
            .map(|v| line_end(composed, v.0.end()))
            .max()
            .unwrap_or(TextSize::from(0));
        let nl = if composed.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        edits.push((TextRange::empty(at), new_lines.replace('\n', nl)));
    }
    edits.sort_by_key(|e| std::cmp::Reverse((e.0.start(), e.0.end())));
    let mut text = composed.to_string();
    for (range, new) in edits {
        text.replace_range(std::ops::Range::<usize>::from(range), &new);
    }
    Ok(text)
}

fn line_start(text: &str, at: TextSize) -> TextSize {
    let at = at.to_usize();
    TextSize::try_from(text[..at].rfind('\n').map_or(0, |i| i + 1)).unwrap_or_default()
}

fn line_end(text: &str, at: TextSize) -> TextSize {
    let at = at.to_usize();
    TextSize::try_from(text[at..].find('\n').map_or(text.len(), |i| at + i + 1)).unwrap_or_default()
}

/// The assembled text must parse and plan exactly the rejected rewrites.
fn verify(
    file: &SourceFile,
    project: &Project,
    selection: Selection,
    planned: &[PlannedFinding],
    units: &[Unit],
    accepted: &[bool],
    text: &str,
) -> Result<(), String> {
    let again = SourceFile::from_text(&file.path, text.to_string());
    let replan = project.plan(again, selection, &|_| true).map_err(|e| {
        format!("internal error: the chosen rewrites do not make a valid file ({e})")
    })?;
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (u, _) in units.iter().zip(accepted).filter(|(_, a)| !**a) {
        for &fi in &u.findings {
            *expected.entry(planned[fi].kind.to_string()).or_default() += 1;
        }
    }
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for f in replan.findings.iter().filter(|f| f.applied) {
        *got.entry(f.kind.to_string()).or_default() += 1;
    }
    if got != expected {
        let names = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(format!(
            "these rewrites cannot be applied apart from the others (the result would plan \
             [{}] instead of the declined [{}]); accept them all, or none, for this file",
            names(&got),
            names(&expected)
        ));
    }
    Ok(())
}
