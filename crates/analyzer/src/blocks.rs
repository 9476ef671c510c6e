//! What `audit` and `report` need to know about each Python finding beyond what `plan`
//! says, read from the file's AST and tokens (the parse the plan was made from): the block's extent and the lines it spends on
//! session management, its enclosing class and function, a structural fingerprint
//! (names and literals left out), a line-shift-proof key, and the suppression comments
//! that apply to it.

use std::collections::{BTreeMap, BTreeSet};

use codemod_core::block::{parse_suppression, BlockInfo};
use codemod_core::plan::PlannedFinding;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, ExceptHandler, Expr, Stmt};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::{Kind, SourceFile};

/// Block information for every finding of one file (parsed as `parsed`), in the
/// findings' order.
pub fn describe(
    file: &SourceFile,
    parsed: &Parsed<ast::ModModule>,
    findings: &[PlannedFinding],
) -> Result<Vec<BlockInfo>, String> {
    // Most files of a tree have no finding: their comment tokens need not be read.
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let module = parsed.syntax();
    let suppressions = suppressions(file, parsed.tokens());
    findings
        .iter()
        .map(|f| {
            let path = locate(&module.body, f.range).ok_or_else(|| {
                format!(
                    "line {}: the finding's statement is not in the file (changed while read?)",
                    f.line
                )
            })?;
            Ok(info(file, parsed.tokens(), &suppressions, &path, f))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Suppression comments

/// `# codemod: ignore` (all codes) or `# codemod: ignore[SES001, SES004]`, found in real
/// comment tokens only (never in strings). Line -> codes (empty: all).
fn suppressions(file: &SourceFile, tokens: &[ast::token::Token]) -> BTreeMap<usize, Vec<String>> {
    let mut out: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for t in tokens.iter().filter(|t| t.kind() == TokenKind::Comment) {
        let text = &file.text[t.range()];
        if let Some(codes) = parse_suppression(text) {
            let line = file.line_of(t.start());
            let entry = out.entry(line).or_default();
            if codes.is_empty() {
                entry.clear();
                entry.push(String::new());
            } else if entry.first().is_none_or(|c| !c.is_empty()) {
                entry.extend(codes);
            }
        }
    }
    // Internally an empty string marks "all codes"; callers get `Some(vec![])`.
    out
}

// ---------------------------------------------------------------------------------------
// Locating the finding's statement

/// Which part of its parent a statement sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Module,
    Body,
    Handler,
    Else,
    Finally,
    LoopBody,
}

/// One step of the path from the module to the finding's statement.
struct Frame<'a> {
    suite: &'a [Stmt],
    index: usize,
    /// Where `suite` sits in the previous frame's statement.
    clause: Clause,
}

impl<'a> Frame<'a> {
    fn stmt(&self) -> &'a Stmt {
        &self.suite[self.index]
    }
}

/// The sub-suites of a compound statement, with their clause.
fn suites(stmt: &Stmt) -> Vec<(&[Stmt], Clause)> {
    match stmt {
        Stmt::FunctionDef(f) => vec![(&f.body[..], Clause::Body)],
        Stmt::ClassDef(c) => vec![(&c.body[..], Clause::Body)],
        Stmt::With(w) => vec![(&w.body[..], Clause::Body)],
        Stmt::For(f) => vec![
            (&f.body[..], Clause::LoopBody),
            (&f.orelse[..], Clause::Else),
        ],
        Stmt::While(w) => vec![
            (&w.body[..], Clause::LoopBody),
            (&w.orelse[..], Clause::Else),
        ],
        Stmt::If(i) => {
            let mut v = vec![(&i.body[..], Clause::Body)];
            v.extend(
                i.elif_else_clauses
                    .iter()
                    .map(|c| (&c.body[..], Clause::Body)),
            );
            v
        }
        Stmt::Try(t) => {
            let mut v = vec![(&t.body[..], Clause::Body)];
            v.extend(t.handlers.iter().map(|h| {
                let ExceptHandler::ExceptHandler(h) = h;
                (&h.body[..], Clause::Handler)
            }));
            v.push((&t.orelse[..], Clause::Else));
            v.push((&t.finalbody[..], Clause::Finally));
            v
        }
        Stmt::Match(m) => m
            .cases
            .iter()
            .map(|c| (&c.body[..], Clause::Body))
            .collect(),
        _ => vec![],
    }
}

/// The path to the innermost statement holding `range` (the statement itself when the
/// range is a statement's).
fn locate(module: &[Stmt], range: TextRange) -> Option<Vec<Frame<'_>>> {
    let mut path = vec![];
    let mut suite = module;
    let mut clause = Clause::Module;
    loop {
        let index = suite.iter().position(|s| s.range().contains_range(range))?;
        path.push(Frame {
            suite,
            index,
            clause,
        });
        let stmt = &suite[index];
        if stmt.range() == range {
            return Some(path);
        }
        match suites(stmt)
            .into_iter()
            .find(|(s, _)| s.iter().any(|x| x.range().contains_range(range)))
        {
            Some((s, c)) => {
                suite = s;
                clause = c;
            }
            None => return Some(path),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Names

/// Whether a statement (or expression) loads or stores `name` anywhere.
struct Mentions<'n> {
    name: &'n str,
    found: bool,
}

impl<'a> Visitor<'a> for Mentions<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found {
            return;
        }
        if let Expr::Name(n) = expr {
            if n.id.as_str() == self.name {
                self.found = true;
                return;
            }
        }
        visitor::walk_expr(self, expr);
    }
}

fn mentions(stmts: &[Stmt], name: &str) -> bool {
    let mut m = Mentions { name, found: false };
    for s in stmts {
        m.visit_stmt(s);
        if m.found {
            return true;
        }
    }
    false
}

fn unawait(e: &Expr) -> &Expr {
    match e {
        Expr::Await(a) => &a.value,
        e => e,
    }
}

/// `name.op()` / `await name.op()` as a statement: the op when it is a lifecycle call.
fn lifecycle_op(stmt: &Stmt, name: &str) -> Option<&'static str> {
    let Stmt::Expr(e) = stmt else { return None };
    let Expr::Call(c) = unawait(&e.value) else {
        return None;
    };
    let Expr::Attribute(a) = &*c.func else {
        return None;
    };
    let Expr::Name(n) = &*a.value else {
        return None;
    };
    if n.id.as_str() != name {
        return None;
    }
    match a.attr.as_str() {
        "commit" => Some("commit"),
        "rollback" => Some("rollback"),
        "close" => Some("close"),
        _ => None,
    }
}

/// The assignment target and value of `x = F()` / `x: T = F()`.
fn assignment(stmt: &Stmt) -> Option<(&Expr, &Expr)> {
    match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => Some((&a.targets[0], &a.value)),
        Stmt::AnnAssign(a) => a.value.as_deref().map(|v| (&*a.target, v)),
        _ => None,
    }
}

/// The name a target binds: `x` for `x`, `attr` for `self.attr`.
fn target_name(target: &Expr) -> Option<String> {
    match target {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(a.attr.to_string()),
        Expr::Subscript(s) => target_name(&s.value),
        _ => None,
    }
}

/// The receiver of the first `x.commit()` / `x.rollback()` call in a statement.
fn transaction_receiver(stmt: &Stmt) -> Option<String> {
    struct Find(Option<String>);
    impl<'a> Visitor<'a> for Find {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.0.is_some() {
                return;
            }
            if let Expr::Call(c) = expr {
                if let Expr::Attribute(a) = &*c.func {
                    if matches!(a.attr.as_str(), "commit" | "rollback") {
                        if let Expr::Name(n) = &*a.value {
                            self.0 = Some(n.id.to_string());
                            return;
                        }
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut f = Find(None);
    f.visit_stmt(stmt);
    f.0
}

// ---------------------------------------------------------------------------------------
// Skeletons

/// A factory call with names, arguments and literals left out; only call nesting is kept:
/// `next(get_session())` -> `_(_())`, `Session(engine)` -> `_()`.
fn factory_shape(e: &Expr) -> String {
    match e {
        Expr::Await(a) => format!("await {}", factory_shape(&a.value)),
        Expr::Call(c) => {
            let args = &c.arguments;
            if args.keywords.is_empty() && args.args.len() == 1 {
                if let inner @ Expr::Call(_) = &args.args[0] {
                    return format!("_({})", factory_shape(inner));
                }
            }
            "_()".to_string()
        }
        _ => "_".to_string(),
    }
}

/// One statement of a handler / `finally:` / body as its skeleton item.
fn item(stmt: &Stmt, session: &str, bound: Option<&str>) -> String {
    if let Some(op) = lifecycle_op(stmt, session) {
        return op.to_string();
    }
    match stmt {
        Stmt::Expr(e) => {
            if let Expr::Call(c) = unawait(&e.value) {
                if let Expr::Attribute(a) = &*c.func {
                    if let Expr::Name(n) = &*a.value {
                        if n.id.to_ascii_lowercase().contains("log") {
                            return format!("log.{}", a.attr);
                        }
                    }
                }
                if let Expr::Name(n) = &*c.func {
                    if n.id.as_str() == "print" {
                        return "print".to_string();
                    }
                }
            }
            "…".to_string()
        }
        Stmt::Raise(r) => match &r.exc {
            None => "raise".to_string(),
            Some(e) if matches!(&**e, Expr::Name(n) if Some(n.id.as_str()) == bound) => {
                "raise".to_string()
            }
            Some(_) if r.cause.is_some() => "raise new from".to_string(),
            Some(_) => "raise new".to_string(),
        },
        Stmt::Return(r) => match r.value.as_deref() {
            None | Some(Expr::NoneLiteral(_)) => "return None".to_string(),
            Some(_) => "return value".to_string(),
        },
        Stmt::Pass(_) => "pass".to_string(),
        _ => "…".to_string(),
    }
}

/// Skeleton of a suite: items joined, runs of `…` collapsed.
fn seq(stmts: &[Stmt], session: &str, bound: Option<&str>, keep: fn(&str) -> bool) -> String {
    let mut out: Vec<String> = vec![];
    for s in stmts {
        let mut it = item(s, session, bound);
        if !keep(&it) {
            it = "…".to_string();
        }
        if it == "…" && out.last().is_some_and(|l| l == "…") {
            continue;
        }
        out.push(it);
    }
    if out.is_empty() {
        "-".to_string()
    } else {
        out.join("; ")
    }
}

/// In a try body or leaked block only lifecycle calls are structure; the rest is the
/// method's own work.
fn keep_lifecycle(item: &str) -> bool {
    matches!(item, "commit" | "rollback" | "close")
}

fn keep_all(_: &str) -> bool {
    true
}

/// `except`, `except _` or `except (_, ...)`: whether the caught exception is bound to a
/// name is a naming detail, left out.
fn handler_head(h: &ast::ExceptHandlerExceptHandler) -> &'static str {
    match h.type_.as_deref() {
        None => "except",
        Some(Expr::Tuple(_)) => "except (_, ...)",
        Some(_) => "except _",
    }
}

/// Skeleton of a `try:` (the creation marked `S = F` where it sits in the body).
fn try_shape(t: &ast::StmtTry, session: &str, creation: Option<&Stmt>, factory: &str) -> String {
    let mut body: Vec<String> = vec![];
    for s in t.body.iter() {
        let it = if creation.is_some_and(|c| std::ptr::eq(c, s)) {
            format!("S = {factory}")
        } else {
            let it = item(s, session, None);
            if keep_lifecycle(&it) {
                it
            } else {
                "…".to_string()
            }
        };
        if it == "…" && body.last().is_some_and(|l| l == "…") {
            continue;
        }
        body.push(it);
    }
    let mut parts = vec![format!("try: {}", body.join("; "))];
    for h in &t.handlers {
        let ExceptHandler::ExceptHandler(h) = h;
        let bound = h.name.as_ref().map(|n| n.as_str());
        parts.push(format!(
            "{}: {}",
            handler_head(h),
            seq(&h.body, session, bound, keep_all)
        ));
    }
    if !t.orelse.is_empty() {
        parts.push(format!(
            "else: {}",
            seq(&t.orelse, session, None, keep_lifecycle)
        ));
    }
    if !t.finalbody.is_empty() {
        parts.push(format!(
            "finally: {}",
            seq(&t.finalbody, session, None, keep_all)
        ));
    }
    parts.join(" | ")
}

fn source(file: &SourceFile, r: TextRange) -> &str {
    &file.text[r]
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn handler_types(t: &ast::StmtTry, file: &SourceFile) -> Vec<String> {
    t.handlers
        .iter()
        .map(|h| {
            let ExceptHandler::ExceptHandler(h) = h;
            h.type_.as_deref().map_or("(bare)".to_string(), |e| {
                collapse_ws(source(file, e.range()))
            })
        })
        .collect()
}

/// Exception classes raised anew in handlers: `raise ValueError(...)` -> `ValueError`.
fn raised(t: &ast::StmtTry, file: &SourceFile) -> Vec<String> {
    let mut out = vec![];
    for h in &t.handlers {
        let ExceptHandler::ExceptHandler(h) = h;
        for s in h.body.iter() {
            if let Stmt::Raise(ast::StmtRaise { exc: Some(e), .. }) = s {
                let callee = match &**e {
                    Expr::Call(c) => &*c.func,
                    e => e,
                };
                if !matches!(callee, Expr::Name(n) if h.name.as_ref().is_some_and(|b| b.as_str() == n.id.as_str()))
                {
                    out.push(collapse_ws(source(file, callee.range())));
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Putting it together

/// What the block is made of.
struct Parts<'a> {
    /// The statements the block spans (first to last), at one suite level.
    span: Vec<&'a Stmt>,
    /// Statements inside the span that are the method's own work, not session management.
    work: Vec<&'a Stmt>,
    shape: String,
    details: BTreeMap<&'static str, String>,
}

fn creation_parts<'a>(
    file: &SourceFile,
    path: &[Frame<'a>],
    kind: Kind,
    session: &str,
    factory: &Expr,
) -> Parts<'a> {
    let frame = path.last().expect("a path has a frame");
    let creation = frame.stmt();
    let fshape = factory_shape(factory);
    let mut details = BTreeMap::new();
    details.insert("session", session.to_string());
    details.insert("factory", collapse_ws(source(file, factory.range())));

    let lifecycle_or_work = |stmts: &'a [Stmt], work: &mut Vec<&'a Stmt>| {
        for s in stmts {
            if lifecycle_op(s, session).is_none() {
                work.push(s);
            }
        }
    };

    // Inside a `try:` whose clauses manage the session.
    if frame.clause == Clause::Body && path.len() >= 2 {
        let parent = &path[path.len() - 2];
        if let Stmt::Try(t) = parent.stmt() {
            let clauses_mention = t.handlers.iter().any(|h| {
                let ExceptHandler::ExceptHandler(h) = h;
                mentions(&h.body, session)
            }) || mentions(&t.finalbody, session);
            if clauses_mention {
                let mut span = vec![];
                let init = parent.index.checked_sub(1).map(|i| &parent.suite[i]);
                if let Some(init) = init.filter(|s| {
                    matches!(assignment(s), Some((Expr::Name(n), Expr::NoneLiteral(_))) if n.id.as_str() == session)
                }) {
                    span.push(init);
                }
                span.push(parent.stmt());
                let mut work = vec![];
                for s in t.body.iter() {
                    if !std::ptr::eq(s, creation) && lifecycle_op(s, session).is_none() {
                        work.push(s);
                    }
                }
                lifecycle_or_work(&t.orelse, &mut work);
                details.insert("exceptions", handler_types(t, file).join(", "));
                details.insert("raises", raised(t, file).join(", "));
                return Parts {
                    span,
                    work,
                    shape: format!("{kind}: {}", try_shape(t, session, Some(creation), &fshape)),
                    details,
                };
            }
        }
    }

    // `s = F()`, statements, then a `try:` managing it (maybe `s.close()` after).
    let rest = &frame.suite[frame.index + 1..];
    for (off, s) in rest.iter().enumerate() {
        let Stmt::Try(t) = s else { continue };
        let manages = t.handlers.iter().any(|h| {
            let ExceptHandler::ExceptHandler(h) = h;
            mentions(&h.body, session)
        }) || mentions(&t.finalbody, session)
            || mentions(&t.orelse, session)
            || t.body
                .iter()
                .any(|b| lifecycle_op(b, session) == Some("commit"));
        if !manages {
            continue;
        }
        let mut span: Vec<&Stmt> = vec![creation];
        let mut work: Vec<&Stmt> = rest[..off].iter().collect();
        span.extend(rest[..=off].iter());
        let mut shape = format!("{kind}: S = {fshape}; ");
        if off > 0 {
            shape.push_str("…; ");
        }
        shape.push_str(&try_shape(t, session, None, &fshape));
        if let Some(close) = rest
            .get(off + 1)
            .filter(|c| lifecycle_op(c, session) == Some("close"))
        {
            span.push(close);
            shape.push_str(" || then: close");
        }
        for b in t.body.iter() {
            if lifecycle_op(b, session).is_none() {
                work.push(b);
            }
        }
        lifecycle_or_work(&t.orelse, &mut work);
        details.insert("exceptions", handler_types(t, file).join(", "));
        details.insert("raises", raised(t, file).join(", "));
        return Parts {
            span,
            work,
            shape,
            details,
        };
    }

    // No `try:`: up to the last statement of the suite that uses the session.
    let last = rest
        .iter()
        .rposition(|s| mentions(std::slice::from_ref(s), session))
        .map_or(0, |p| p + 1);
    let used = &rest[..last];
    let mut span: Vec<&Stmt> = vec![creation];
    span.extend(used.iter());
    let mut work = vec![];
    lifecycle_or_work(used, &mut work);
    Parts {
        span,
        work,
        shape: format!(
            "{kind}: S = {fshape}; {}",
            seq(used, session, None, keep_lifecycle)
        ),
        details,
    }
}

/// Everything known about one finding's block, read from the path to its statement.
fn info(
    file: &SourceFile,
    tokens: &ast::token::Tokens,
    suppressions: &BTreeMap<usize, Vec<String>>,
    path: &[Frame],
    f: &PlannedFinding,
) -> BlockInfo {
    let stmt = path.last().expect("a path has a frame").stmt();
    let (scope, class) = enclosing_scope(path);
    let creation = session_creation(f.kind, stmt);
    let session = session_name(f.kind, stmt, creation);
    let parts = block_parts(
        file,
        path,
        f,
        creation,
        session.as_deref().unwrap_or_default(),
    );

    let start = parts.span.first().map_or(stmt.start(), |s| s.start());
    let end = parts.span.last().map_or(stmt.end(), |s| s.end());
    let start_line = file.line_of(start);
    let end_line = file.line_of(end);
    let lines: Vec<&str> = file.text.lines().collect();
    let session_lines = count_session_lines(file, &lines, start_line..=end_line, &parts.work);
    let text = dedent(lines.get(start_line - 1..end_line).unwrap_or_default());

    let (header, header_lines) = header(file, tokens, stmt.range(), session.as_deref());
    BlockInfo {
        scope,
        class,
        session,
        start_line,
        end_line,
        session_lines,
        shape: parts.shape,
        details: parts.details,
        header,
        text,
        suppressed: suppressed_codes(suppressions, header_lines),
    }
}

/// The enclosing classes and functions joined (`Class.method`, or `<module>`; the
/// statement itself excluded), and the innermost class.
fn enclosing_scope(path: &[Frame]) -> (String, Option<String>) {
    let mut names: Vec<String> = vec![];
    let mut class = None;
    for fr in &path[..path.len() - 1] {
        match fr.stmt() {
            Stmt::FunctionDef(d) => names.push(d.name.to_string()),
            Stmt::ClassDef(c) => {
                names.push(c.name.to_string());
                class = Some(c.name.to_string());
            }
            _ => {}
        }
    }
    let scope = if names.is_empty() {
        "<module>".to_string()
    } else {
        names.join(".")
    };
    (scope, class)
}

/// The target and value of the statement when it creates the session the finding is about
/// (`x = F()`, `x = await F()`), for the kinds whose finding sits on the creation.
fn session_creation(kind: Kind, stmt: &Stmt) -> Option<(&Expr, &Expr)> {
    assignment(stmt).filter(|(_, v)| {
        matches!(
            kind,
            Kind::ManualLifecycle
                | Kind::LeakedSession
                | Kind::AsyncWithoutContextManager
                | Kind::SessionPerIteration
                | Kind::SharedSession
        ) && matches!(unawait(v), Expr::Call(_))
    })
}

/// The session's name: the creation's target, the raw `with`'s `as` target, or the
/// double transaction's receiver.
fn session_name(kind: Kind, stmt: &Stmt, creation: Option<(&Expr, &Expr)>) -> Option<String> {
    match (kind, stmt, creation) {
        (_, _, Some((target, _))) => target_name(target),
        (Kind::RawFactoryWith, Stmt::With(w), _) => w
            .items
            .iter()
            .find_map(|i| i.optional_vars.as_deref().and_then(target_name)),
        (Kind::DoubleTransaction, s, _) => transaction_receiver(s),
        _ => None,
    }
}

/// What the block is made of, read the way its kind says; the statement alone when
/// nothing more is known.
fn block_parts<'a>(
    file: &SourceFile,
    path: &[Frame<'a>],
    f: &PlannedFinding,
    creation: Option<(&'a Expr, &'a Expr)>,
    session: &str,
) -> Parts<'a> {
    let stmt = path.last().expect("a path has a frame").stmt();
    match (f.kind, stmt, creation) {
        (
            Kind::ManualLifecycle
            | Kind::LeakedSession
            | Kind::AsyncWithoutContextManager
            | Kind::SessionPerIteration,
            _,
            Some((Expr::Name(_), value)),
        ) => creation_parts(file, path, f.kind, session, value),
        (Kind::RawFactoryWith, Stmt::With(w), _) => raw_with_parts(file, stmt, w, session),
        (Kind::DoubleTransaction, _, _) => double_transaction_parts(file, path, f.range, session),
        (_, _, Some(creation)) => assignment_parts(file, f.kind, stmt, creation, session),
        _ => Parts {
            span: vec![stmt],
            work: vec![],
            shape: f.kind.to_string(),
            details: BTreeMap::new(),
        },
    }
}

/// `with F() as s:` opening the session without the guard: the `with` is the block.
fn raw_with_parts<'a>(
    file: &SourceFile,
    stmt: &'a Stmt,
    w: &'a ast::StmtWith,
    session: &str,
) -> Parts<'a> {
    let item = w
        .items
        .iter()
        .find(|i| i.optional_vars.is_some())
        .or(w.items.first());
    let fshape = item.map_or("_".to_string(), |i| factory_shape(&i.context_expr));
    let mut details = BTreeMap::new();
    details.insert("session", session.to_string());
    if let Some(i) = item {
        details.insert("factory", collapse_ws(source(file, i.context_expr.range())));
    }
    let work: Vec<&Stmt> = w
        .body
        .iter()
        .filter(|s| lifecycle_op(s, session).is_none())
        .collect();
    Parts {
        span: vec![stmt],
        work,
        shape: format!(
            "{}: {}with {fshape} as S: {}",
            Kind::RawFactoryWith,
            if w.is_async { "async " } else { "" },
            seq(&w.body, session, None, keep_lifecycle)
        ),
        details,
    }
}

/// A commit or rollback (the statement at `range`) inside a guard's block.
fn double_transaction_parts<'a>(
    file: &SourceFile,
    path: &[Frame<'a>],
    range: TextRange,
    session: &str,
) -> Parts<'a> {
    let stmt = path.last().expect("a path has a frame").stmt();
    let mut details = BTreeMap::new();
    details.insert("session", session.to_string());
    let (place, guard) = transaction_place(path);
    if let Some(i) = guard.and_then(|w| w.items.first()) {
        details.insert("guard", collapse_ws(source(file, i.context_expr.range())));
    }
    let op = if source(file, range).contains("rollback") {
        "rollback"
    } else {
        "commit"
    };
    let awaited = if matches!(stmt, Stmt::Expr(e) if matches!(&*e.value, Expr::Await(_))) {
        "await "
    } else {
        ""
    };
    Parts {
        span: vec![stmt],
        work: vec![],
        shape: format!("{}: {awaited}S.{op}() {place}", Kind::DoubleTransaction),
        details,
    }
}

/// Where the statement `path` ends at sits relative to the innermost `with` holding it
/// (the guard's), and that `with`.
fn transaction_place<'a>(path: &[Frame<'a>]) -> (&'static str, Option<&'a ast::StmtWith>) {
    let frame = path.last().expect("a path has a frame");
    let guard = path
        .iter()
        .enumerate()
        .rev()
        .find_map(|(g, fr)| match fr.stmt() {
            Stmt::With(w) => Some((g, w)),
            _ => None,
        });
    let Some((g, w)) = guard else {
        return ("in the guard's block", None);
    };
    let inner = &path[g + 1..];
    let place = if inner.iter().any(|fr| fr.clause == Clause::Handler) {
        "in an except handler"
    } else if inner.iter().any(|fr| fr.clause == Clause::LoopBody) {
        "in a loop"
    } else if inner.len() == 1 && frame.index + 1 == frame.suite.len() {
        "at the end of the block"
    } else {
        "mid-block"
    };
    (place, Some(w))
}

/// A creation whose finding is about the statement alone (a shared session, a session
/// stored on an attribute).
fn assignment_parts<'a>(
    file: &SourceFile,
    kind: Kind,
    stmt: &'a Stmt,
    (target, value): (&Expr, &Expr),
    session: &str,
) -> Parts<'a> {
    let mut details = BTreeMap::new();
    details.insert("session", session.to_string());
    details.insert("factory", collapse_ws(source(file, value.range())));
    let on = match target {
        Expr::Name(_) => "S",
        _ => "_.S",
    };
    Parts {
        span: vec![stmt],
        work: vec![],
        shape: format!("{kind}: {on} = {}", factory_shape(value)),
        details,
    }
}

/// How many of the block's lines manage the session: not the work's, not blank, not
/// comment-only.
fn count_session_lines(
    file: &SourceFile,
    lines: &[&str],
    block: std::ops::RangeInclusive<usize>,
    work: &[&Stmt],
) -> usize {
    let mut work_lines: BTreeSet<usize> = BTreeSet::new();
    for w in work {
        work_lines.extend(file.line_of(w.start())..=file.line_of(w.end()));
    }
    block
        .filter(|l| !work_lines.contains(l))
        .filter(|l| {
            let t = lines.get(l - 1).map_or("", |t| t.trim());
            !t.is_empty() && !t.starts_with('#')
        })
        .count()
}

/// The codes suppressed on the header's lines; `Some(empty)` once a line suppresses all.
fn suppressed_codes(
    suppressions: &BTreeMap<usize, Vec<String>>,
    header_lines: std::ops::RangeInclusive<usize>,
) -> Option<Vec<String>> {
    let mut suppressed: Option<Vec<String>> = None;
    for l in header_lines {
        if let Some(codes) = suppressions.get(&l) {
            let all = codes.iter().any(String::is_empty);
            let entry = suppressed.get_or_insert_with(Vec::new);
            if all {
                *entry = vec![];
                break;
            }
            entry.extend(codes.iter().cloned());
        }
    }
    suppressed
}

/// Lines joined with the indentation they all share removed.
fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statement's first logical line as normalised tokens, and the lines it covers.
fn header(
    file: &SourceFile,
    tokens: &ast::token::Tokens,
    range: TextRange,
    session: Option<&str>,
) -> (String, std::ops::RangeInclusive<usize>) {
    let mut parts: Vec<&str> = vec![];
    let mut end: TextSize = range.end();
    for t in tokens.after(range.start()) {
        if t.start() >= range.end() {
            break;
        }
        match t.kind() {
            TokenKind::Newline => {
                end = t.start();
                break;
            }
            TokenKind::Comment
            | TokenKind::NonLogicalNewline
            | TokenKind::Indent
            | TokenKind::Dedent => {}
            TokenKind::Name if Some(&file.text[t.range()]) == session => parts.push("S"),
            _ => parts.push(&file.text[t.range()]),
        }
    }
    let first = file.line_of(range.start());
    let last = file.line_of(end).max(first);
    (parts.join(" "), first..=last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Vec<(usize, BlockInfo)> {
        let file = SourceFile::from_text(std::path::Path::new("x.py"), text.to_string());
        let parsed = crate::parse(&file).unwrap();
        // Every `X = SessionLocal()` statement and `with` statement, as a finding.
        let mut findings = vec![];
        fn walk(stmts: &[Stmt], out: &mut Vec<(Kind, TextRange)>) {
            for s in stmts {
                if matches!(s, Stmt::Assign(_)) && format!("{s:?}").contains("SessionLocal") {
                    out.push((Kind::ManualLifecycle, s.range()));
                }
                if let Stmt::With(_) = s {
                    out.push((Kind::RawFactoryWith, s.range()));
                }
                for (sub, _) in suites(s) {
                    walk(sub, out);
                }
            }
        }
        let mut found = vec![];
        walk(&parsed.syntax().body, &mut found);
        for (kind, range) in found {
            findings.push(PlannedFinding {
                line: file.line_of(range.start()),
                column: file.column_of(range.start()),
                kind,
                safety: crate::Safety::Manual,
                reason: String::new(),
                applied: false,
                follows: None,
                test_code: false,
                range,
                edits_span: None,
            });
        }
        let infos = describe(&file, &parsed, &findings).unwrap();
        findings.iter().map(|f| f.line).zip(infos).collect()
    }

    #[test]
    fn same_shape_whatever_the_names_and_literals() {
        let a = "class PartService:\n    def get(self, part_id):\n        session = next(SessionLocal())\n        try:\n            part = repo.get(session, part_id)\n            return part.to_dict()\n        except NotFound as e:\n            raise e\n        except Exception as e:\n            logger.error(f\"failed {e}\")\n            raise ValueError(str(e))\n        finally:\n            session.close()\n";
        let b = "def find(name):\n    db = next(SessionLocal())\n    try:\n        return other.lookup(db, name)\n    except Missing as err:\n        raise err\n    except Exception as exc:\n        log.error(\"nope\")\n        raise RuntimeError(\"x\")\n    finally:\n        db.close()\n";
        let a = blocks(a);
        let b = blocks(b);
        assert_eq!(a[0].1.shape, b[0].1.shape);
        assert_eq!(
            a[0].1.shape,
            "manual-lifecycle: S = _(_()); try: … | except _: raise | except _: log.error; raise new | finally: close"
        );
        assert_eq!(a[0].1.scope, "PartService.get");
        assert_eq!(a[0].1.class.as_deref(), Some("PartService"));
        assert_eq!(b[0].1.scope, "find");
        assert_eq!(a[0].1.details["raises"], "ValueError");
        assert_eq!(b[0].1.details["raises"], "RuntimeError");
        // Block: lines 3-13; work: lines 5-6; scaffolding: 9 lines.
        assert_eq!((a[0].1.start_line, a[0].1.end_line), (3, 13));
        assert_eq!(a[0].1.session_lines, 9);
        assert_eq!(a[0].1.header, "S = next ( SessionLocal ( ) )");
        assert_eq!(b[0].1.header, a[0].1.header);
    }

    #[test]
    fn suppression_only_from_comments_on_the_statement() {
        let text = "def f():\n    s = SessionLocal()  # codemod: ignore[SES002]\n    x = \"# codemod: ignore\"\n    t = SessionLocal(\n        bind=e,\n    )  # codemod: ignore\n    u = SessionLocal()\n    v = SessionLocal(); y = '# codemod: ignore'\n";
        let b = blocks(text);
        assert_eq!(b[0].1.suppressed, Some(vec!["SES002".to_string()]));
        assert_eq!(b[1].1.suppressed, Some(vec![]));
        assert_eq!(b[2].1.suppressed, None);
        assert_eq!(b[3].1.suppressed, None);
    }

    /// The block of a `kind` finding on the statement starting at the first `marker` in
    /// `text`, on one line: everything but the block's text.
    fn info_at(text: &str, kind: Kind, marker: &str) -> String {
        let file = SourceFile::from_text(std::path::Path::new("x.py"), text.to_string());
        let parsed = crate::parse(&file).unwrap();
        let at = TextSize::try_from(text.find(marker).unwrap()).unwrap();
        fn find(stmts: &[Stmt], at: TextSize) -> Option<TextRange> {
            stmts.iter().find_map(|s| {
                if s.start() == at {
                    return Some(s.range());
                }
                suites(s).into_iter().find_map(|(sub, _)| find(sub, at))
            })
        }
        let range = find(&parsed.syntax().body, at).expect("a statement starts at the marker");
        let finding = PlannedFinding {
            line: file.line_of(range.start()),
            column: file.column_of(range.start()),
            kind,
            safety: crate::Safety::Manual,
            reason: String::new(),
            applied: false,
            follows: None,
            test_code: false,
            range,
            edits_span: None,
        };
        let b = describe(&file, &parsed, &[finding]).unwrap().remove(0);
        format!(
            "{} {:?} {:?} {}-{} {} [{}] {:?} [{}] {:?}",
            b.scope,
            b.class,
            b.session,
            b.start_line,
            b.end_line,
            b.session_lines,
            b.shape,
            b.details,
            b.header,
            b.suppressed
        )
    }

    /// `info_at` of `text` (given line by line) is `expected`.
    fn assert_info(text: &[&str], kind: Kind, marker: &str, expected: &str) {
        let text = text.iter().map(|l| format!("{l}\n")).collect::<String>();
        assert_eq!(info_at(&text, kind, marker), expected, "{text}");
    }

    /// `with F() as s:` blocks, sync and async.
    #[test]
    fn raw_factory_with_shapes() {
        assert_info(
            &[
                "with SessionLocal() as s:",
                "    s.add(x)",
                "    s.commit()",
            ],
            Kind::RawFactoryWith,
            "with",
            "<module> None Some(\"s\") 1-3 2 [raw-factory-with: with _() as S: …; commit] {\"factory\": \"SessionLocal()\", \"session\": \"s\"} [with SessionLocal ( ) as S :] None",
        );
        assert_info(
            &[
                "async def f():",
                "    async with SessionLocal(), lock:",
                "        await work()",
            ],
            Kind::RawFactoryWith,
            "async with",
            "f None None 2-3 1 [raw-factory-with: async with _() as S: …] {\"factory\": \"SessionLocal()\", \"session\": \"\"} [async with SessionLocal ( ) , lock :] None",
        );
    }

    /// Where a commit or rollback sits relative to the guard's `with`.
    #[test]
    fn double_transaction_places() {
        assert_info(
            &[
                "def f(x):",
                "    with session_scope() as s:",
                "        s.add(x)",
                "        s.commit()",
            ],
            Kind::DoubleTransaction,
            "s.commit()",
            "f None Some(\"s\") 4-4 1 [double-transaction: S.commit() at the end of the block] {\"guard\": \"session_scope()\", \"session\": \"s\"} [S . commit ( )] None",
        );
        assert_info(
            &[
                "def f(x):",
                "    with session_scope() as s:",
                "        s.commit()",
                "        s.add(x)",
            ],
            Kind::DoubleTransaction,
            "s.commit()",
            "f None Some(\"s\") 3-3 1 [double-transaction: S.commit() mid-block] {\"guard\": \"session_scope()\", \"session\": \"s\"} [S . commit ( )] None",
        );
        assert_info(
            &[
                "def f(xs):",
                "    with session_scope() as s:",
                "        for x in xs:",
                "            s.add(x)",
                "            s.commit()",
            ],
            Kind::DoubleTransaction,
            "s.commit()",
            "f None Some(\"s\") 5-5 1 [double-transaction: S.commit() in a loop] {\"guard\": \"session_scope()\", \"session\": \"s\"} [S . commit ( )] None",
        );
        assert_info(
            &[
                "def f(x):",
                "    with session_scope() as s:",
                "        try:",
                "            s.add(x)",
                "        except ValueError:",
                "            s.rollback()",
            ],
            Kind::DoubleTransaction,
            "s.rollback()",
            "f None Some(\"s\") 6-6 1 [double-transaction: S.rollback() in an except handler] {\"guard\": \"session_scope()\", \"session\": \"s\"} [S . rollback ( )] None",
        );
        assert_info(
            &[
                "async def f(x):",
                "    async with session_scope() as s:",
                "        await s.commit()",
            ],
            Kind::DoubleTransaction,
            "await s.commit()",
            "f None Some(\"s\") 3-3 1 [double-transaction: await S.commit() at the end of the block] {\"guard\": \"session_scope()\", \"session\": \"s\"} [await S . commit ( )] None",
        );
        assert_info(
            &[
                "def f(s, x):",
                "    s.add(x)",
                "    s.commit()",
            ],
            Kind::DoubleTransaction,
            "s.commit()",
            "f None Some(\"s\") 3-3 1 [double-transaction: S.commit() in the guard's block] {\"session\": \"s\"} [S . commit ( )] None",
        );
        assert_info(
            &[
                "def f(x):",
                "    with lock, session_scope() as s:",
                "        if x:",
                "            s.commit()",
            ],
            Kind::DoubleTransaction,
            "s.commit()",
            "f None Some(\"s\") 4-4 1 [double-transaction: S.commit() mid-block] {\"guard\": \"lock\", \"session\": \"s\"} [S . commit ( )] None",
        );
    }

    /// Creations on attributes or of kinds `creation_parts` does not read, and a non-call.
    #[test]
    fn creations_outside_the_lifecycle_shapes() {
        assert_info(
            &[
                "class Repo:",
                "    def __init__(self):",
                "        self.s = SessionLocal()",
            ],
            Kind::SharedSession,
            "self.s =",
            "Repo.__init__ Some(\"Repo\") Some(\"s\") 3-3 1 [shared-session: _.S = _()] {\"factory\": \"SessionLocal()\", \"session\": \"s\"} [self . S = SessionLocal ( )] None",
        );
        assert_info(
            &[
                "s = SessionLocal()",
            ],
            Kind::SharedSession,
            "s =",
            "<module> None Some(\"s\") 1-1 1 [shared-session: S = _()] {\"factory\": \"SessionLocal()\", \"session\": \"s\"} [S = SessionLocal ( )] None",
        );
        assert_info(
            &[
                "def f(xs):",
                "    for x in xs:",
                "        self.s = SessionLocal()",
                "        self.s.add(x)",
            ],
            Kind::SessionPerIteration,
            "self.s",
            "f None Some(\"s\") 3-3 1 [session-per-iteration: _.S = _()] {\"factory\": \"SessionLocal()\", \"session\": \"s\"} [self . S = SessionLocal ( )] None",
        );
        assert_info(
            &["def f():", "    s = SessionLocal"],
            Kind::ManualLifecycle,
            "s =",
            "f None None 2-2 1 [manual-lifecycle] {} [s = SessionLocal] None",
        );
    }

    /// Blocks that start at a creation, suppressions on every line of the header.
    #[test]
    fn creation_blocks_with_their_suppressions() {
        assert_info(
            &[
                "def f(x):",
                "    s: Session = SessionLocal()  # codemod: ignore[SES001]",
                "    s.add(x)",
                "    s.commit()",
                "    s.close()",
            ],
            Kind::ManualLifecycle,
            "s: Session",
            "f None Some(\"s\") 2-5 3 [manual-lifecycle: S = _(); …; commit; close] {\"factory\": \"SessionLocal()\", \"session\": \"s\"} [S : Session = SessionLocal ( )] Some([\"SES001\"])",
        );
        assert_info(
            &[
                "def f(x):",
                "    s = SessionLocal(",
                "        bind=e,  # codemod: ignore[SES002]",
                "    )  # codemod: ignore[SES003]",
                "    s.add(x)",
                "    print(x)",
            ],
            Kind::LeakedSession,
            "s =",
            "f None Some(\"s\") 2-5 3 [leaked-session: S = _(); …] {\"factory\": \"SessionLocal( bind=e, # codemod: ignore[SES002] )\", \"session\": \"s\"} [S = SessionLocal ( bind = e , )] Some([\"SES002\", \"SES003\"])",
        );
        assert_info(
            &[
                "async def f(x):",
                "    s = await make(",
                "        e,  # codemod: ignore",
                "    )  # codemod: ignore[SES003]",
                "    s.add(x)",
            ],
            Kind::AsyncWithoutContextManager,
            "s =",
            "f None Some(\"s\") 2-5 3 [async-without-context-manager: S = await _(); …] {\"factory\": \"await make( e, # codemod: ignore )\", \"session\": \"s\"} [S = await make ( e , )] Some([])",
        );
        assert_info(
            &[
                "def f(x):",
                "    s = None",
                "    try:",
                "        s = SessionLocal()",
                "        s.add(x)",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    else:",
                "        s.commit()",
                "    finally:",
                "        s.close()",
            ],
            Kind::ManualLifecycle,
            "s = SessionLocal()",
            "f None Some(\"s\") 2-12 10 [manual-lifecycle: try: S = _(); … | except _: rollback; raise | else: commit | finally: close] {\"exceptions\": \"Exception\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"s\"} [S = SessionLocal ( )] None",
        );
        assert_info(
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    y = 1",
                "    try:",
                "        s.add(x)",
                "        s.commit()",
                "    finally:",
                "        s.close()",
                "    s.close()",
            ],
            Kind::ManualLifecycle,
            "s =",
            "f None Some(\"s\") 2-9 6 [manual-lifecycle: S = _(); …; try: …; commit | finally: close || then: close] {\"exceptions\": \"\", \"factory\": \"SessionLocal()\", \"raises\": \"\", \"session\": \"s\"} [S = SessionLocal ( )] None",
        );
    }
}
