//! `s = F()` managed by hand: the manual lifecycle (`try:` with commit / rollback / close),
//! the leaked session (no `try:`, no close on some path) and the async session created
//! without `async with`. All three become `with <guard> as s:` around the session's use.

use crate::summaries::{COMMIT, ENDS, ROLLBACK};
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{self as ast, Expr, Stmt, StmtTry};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::usage::{self, Taint};
use super::{join_reasons, Ctx, Scope};
use crate::finding::{Kind, Safety};
use crate::index::{BlockGuard, FactoryMatch};
use crate::rewrite::{EditOp, Rewrite};
use crate::syntax::{self, RefCollector, RefKind};
use codemod_core::reason::Line;

/// Where the creation sits.
pub(crate) struct Site<'a> {
    pub suite: &'a [Stmt],
    pub index: usize,
    /// The creation is inside this `try:` body (the `try:` starts before the session):
    /// the try, the suite holding it and its position there.
    pub parent_try: Option<(&'a StmtTry, &'a [Stmt], usize)>,
    /// One indent unit of the enclosing function.
    pub unit: &'a str,
}

/// One block's rewrite: the session, where it is made, and the guard taking it over.
#[derive(Clone, Copy)]
struct Takeover<'a> {
    site: &'a Site<'a>,
    name: &'a str,
    guard: &'a BlockGuard,
    /// `with <guard> as <name>:`.
    header: &'a str,
    taint: &'a Taint,
}

/// Why the block is not rewritten.
struct Manual(String);

type Check<T> = Result<T, Manual>;

fn manual<T>(msg: impl Into<String>) -> Check<T> {
    Err(Manual(msg.into()))
}

pub(crate) fn check(ctx: &mut Ctx, scope: &Scope, site: Site, name: &str, factory: FactoryMatch) {
    let creation = &site.suite[site.index];
    // A function (or method) that makes the session and returns it is a factory: the
    // session is the caller's, and so is closing it.
    if std::ptr::eq(site.suite, scope.body)
        && syntax::factory_body(scope.body).is_some_and(|b| b.var == Some(name))
    {
        return;
    }
    let block = Block::find(ctx, scope, &site, name);
    let kind = if factory.is_async {
        Kind::AsyncWithoutContextManager
    } else if block.managing_try().is_some() {
        Kind::ManualLifecycle
    } else {
        Kind::LeakedSession
    };
    // A registry's session taken in a request handler, with the registry removed where
    // requests end, is the request's: closed there.
    if kind == Kind::LeakedSession && factory.registry_removed && scope.request_handler {
        return;
    }
    if let Some(made_by) = &factory.configured_by {
        let reason = format!(
            "the session comes from `{made_by}()`, which sets it up beyond its factory; a \
             guard would not: fix by hand, or give `{made_by}` a guard of its own"
        );
        return ctx.push(kind, Safety::Manual, reason, creation.range(), None);
    }
    match plan(ctx, scope, &site, &block, name, &factory) {
        Ok((safety, reason, rewrite)) => {
            ctx.push(kind, safety, reason, creation.range(), Some(rewrite))
        }
        Err(Manual(reason)) => ctx.push(kind, Safety::Manual, reason, creation.range(), None),
    }
}

/// The statements that make up one manual block.
enum Block<'a> {
    /// `s = F()`, statements, `try:` (at `try_index` in the same suite), maybe `s.close()`.
    After {
        try_index: usize,
        close_after: Option<&'a Stmt>,
    },
    /// `try:` ... `s = F()` ... with the clauses managing `s`; `none_init` is `s = None`
    /// just before the `try:`.
    Inside {
        try_stmt: &'a StmtTry,
        none_init: Option<&'a Stmt>,
    },
    /// No `try:`: the block ends at the last statement of the suite that uses `s`.
    Leaked { last: usize },
}

fn clauses_mention(t: &StmtTry, name: &str) -> bool {
    let handler_mentions = t.handlers.iter().any(|h| {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        !RefCollector::in_stmts(name, &h.body).is_empty()
    });
    handler_mentions
        || !RefCollector::in_stmts(name, &t.finalbody).is_empty()
        || !RefCollector::in_stmts(name, &t.orelse).is_empty()
        || !usage::session_calls(&t.body, name, "commit").is_empty()
}

impl<'a> Block<'a> {
    fn find(ctx: &Ctx, scope: &Scope, site: &Site<'a>, name: &str) -> Block<'a> {
        if let Some((t, outer, pos)) = site.parent_try {
            if clauses_mention(t, name)
                && (t.handlers.iter().any(|h| {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    !RefCollector::in_stmts(name, &h.body).is_empty()
                }) || !RefCollector::in_stmts(name, &t.finalbody).is_empty())
            {
                let none_init = pos.checked_sub(1).map(|p| &outer[p]).filter(|s| {
                    matches!(syntax::assign_name_target(s),
                            Some((n, Expr::NoneLiteral(_))) if n == name)
                });
                return Block::Inside {
                    try_stmt: t,
                    none_init,
                };
            }
        }
        let rest = &site.suite[site.index + 1..];
        for (off, stmt) in rest.iter().enumerate() {
            if let Stmt::Try(t) = stmt {
                if clauses_mention(t, name) {
                    let try_index = site.index + 1 + off;
                    let close_after = site
                        .suite
                        .get(try_index + 1)
                        .filter(|s| syntax::is_session_call(s, name, "close"));
                    return Block::After {
                        try_index,
                        close_after,
                    };
                }
            }
        }
        let _ = ctx;
        // The block runs to the last statement that uses the session or what was loaded
        // through it: reading `item.id` after the guard closed (and expired) it would fail.
        let taint = Taint::compute(scope.body, name);
        let mut watched: Vec<&str> = vec![name];
        watched.extend(taint.loaded.iter().map(String::as_str));
        watched.extend(taint.holders.iter().map(String::as_str));
        let uses_session = rest
            .iter()
            .rposition(|s| !RefCollector::in_stmt(name, s).is_empty());
        let last = uses_session
            .map(|p| {
                rest.iter()
                    .rposition(|s| usage::stmt_mentions_any(s, &watched))
                    .unwrap_or(p)
                    .max(p)
            })
            .map_or(site.index, |p| site.index + 1 + p);
        Block::Leaked { last }
    }

    fn managing_try(&self) -> Option<()> {
        match self {
            Block::Leaked { .. } => None,
            _ => Some(()),
        }
    }
}

/// Everything that changes between the original and the rewrite, for the reasons.
#[derive(Default)]
struct Removed {
    closes_in_finally: bool,
    close_after: bool,
    close_at_end: bool,
}

fn plan(
    ctx: &Ctx,
    scope: &Scope,
    site: &Site,
    block: &Block,
    name: &str,
    factory: &FactoryMatch,
) -> Check<(Safety, String, Rewrite)> {
    let creation = &site.suite[site.index];
    let range = block_range(site, block);
    match factory_used_inside(ctx, site, &factory.callee, range) {
        Some((line, true)) => {
            return manual(format!(
                "the session is `{0}`'s (a scoped_session registry), removed from it at line \
                 {line}: a guard would open a session of its own instead of the registry's, \
                 which the code the block calls may share",
                factory.callee
            ))
        }
        Some((line, false)) => {
            return manual(format!(
                "`{}` itself is used inside the block (line {line}): with a scoped session \
                 that is the block's own session, which the guard would close",
                factory.callee,
                line = Line(line)
            ))
        }
        None => {}
    }
    let guard = ctx
        .index
        .guard_for(factory, &ctx.file.path, ctx.text, &ctx.imports)
        .map_err(Manual)?;
    if factory.is_async && !scope.is_async {
        return manual("async session in a sync function: `async with` is not possible here");
    }
    if !guard.lifecycle.closes {
        return manual(format!(
            "the guard `{}` does not close the session",
            guard.expr
        ));
    }
    super::guard_checks::args_in_scope(ctx, scope, &guard, range).map_err(Manual)?;
    check_refs(ctx, scope, site, block, name, range)?;
    check_interleaved(ctx, scope, site, block, name)?;
    let taint = Taint::compute(scope.body, name);
    check_escapes(ctx, site, block, name, &taint, range)?;
    if !ctx.owns_lines(creation.range()) {
        return manual("the session is created on a line shared with other statements");
    }
    let kw = if factory.is_async {
        "async with"
    } else {
        "with"
    };
    let header = format!("{kw} {}:", guard.items(name));
    let mut rewrite = Rewrite {
        ops: vec![],
        imports: guard.import.iter().cloned().collect(),
        maybe_unused: vec![root_name(&factory.callee)],
    };
    let mut review = vec![];
    super::guard_checks::unknown_lifecycle_review(&guard, &mut review);
    if guard.lifecycle.translates {
        review.push(format!(
            "`{}` re-raises errors as another exception type, so callers see a different \
             exception",
            guard.expr
        ));
    }
    let job = Takeover {
        site,
        name,
        guard: &guard,
        header: &header,
        taint: &taint,
    };
    let removed = match block {
        Block::Leaked { last } => leaked(ctx, &job, *last, &mut rewrite, &mut review)?,
        Block::After {
            try_index,
            close_after,
        } => {
            let Stmt::Try(t) = &site.suite[*try_index] else {
                unreachable!("try_index points at a try")
            };
            let shape = TryShape {
                t,
                body_from: 0,
                intermediates: &site.suite[site.index + 1..*try_index],
                close_after: *close_after,
                none_init: None,
            };
            with_try(ctx, &job, &shape, &mut rewrite, &mut review)?
        }
        Block::Inside {
            try_stmt,
            none_init,
        } => {
            // Statements before the session stay in the `try:` (wrap mode only).
            let shape = TryShape {
                t: try_stmt,
                body_from: site.index + 1,
                intermediates: &[],
                close_after: None,
                none_init: *none_init,
            };
            let r = with_try(ctx, &job, &shape, &mut rewrite, &mut review)?;
            review.push(format!(
                "if creating the session raises, the original handler failed on the unbound \
                 `{name}`; now the handler runs normally"
            ));
            r
        }
    };
    let orig_closes = removed.closes_in_finally;
    let mut safe_notes = vec![];
    let leak_note = (!orig_closes).then(|| {
        if removed.close_after || removed.close_at_end {
            "the session is now also closed on error paths, where it leaked"
        } else {
            "the session is now closed on every path (it leaked before)"
        }
    });
    safe_notes.extend(leak_note);
    if let Some(note) = &guard.note {
        safe_notes.push(note.as_str());
    }
    super::local_import::place(ctx, scope, &root_name(&factory.callee), range, &mut rewrite);
    let block_stmts = work_of(site, name, range);
    let committed = !usage::session_calls(&block_stmts, name, "commit").is_empty()
        || ending_call(ctx, &block_stmts, name, COMMIT).is_some();
    if review.is_empty() && guard.lifecycle.commits && !committed {
        if usage::is_read_only(ctx, &block_stmts, name, &taint) {
            safe_notes.insert(0, "the block only reads (through its calls too), so the guard's commit on exit writes nothing");
        } else {
            review.push("guard commits where the original never committed".into());
        }
    }
    if review.is_empty() {
        let mut reason = format!(
            "`{}` commits, rolls back and closes as the original did",
            guard.expr
        );
        if guard.lifecycle.commits && !committed {
            reason = format!("`{}` rolls back and closes as the original did", guard.expr);
        }
        if !guard.lifecycle.commits {
            reason = format!(
                "`{}` closes as the original did; commits stay in place",
                guard.expr
            );
        }
        for n in safe_notes {
            reason.push_str("; ");
            reason.push_str(n);
        }
        Ok((Safety::Safe, reason, rewrite))
    } else {
        // A review rewrite changes the leak too: say so unless a review already does.
        if let Some(leak) = leak_note.filter(|_| !review.iter().any(|r| r.contains("now closed"))) {
            review.push(leak.into());
        }
        if let Some(note) = &guard.note {
            review.push(note.clone());
        }
        Ok((Safety::Review, join_reasons(&review), rewrite))
    }
}

fn root_name(callee: &str) -> String {
    callee.split('.').next().unwrap_or(callee).to_string()
}

fn block_range(site: &Site, block: &Block) -> TextRange {
    let creation = &site.suite[site.index];
    match block {
        Block::After {
            try_index,
            close_after,
        } => {
            let end = close_after.map_or(site.suite[*try_index].end(), |c| c.end());
            TextRange::new(creation.start(), end)
        }
        Block::Inside { try_stmt, .. } => TextRange::new(creation.start(), try_stmt.end()),
        Block::Leaked { last } => TextRange::new(creation.start(), site.suite[*last].end()),
    }
}

/// References to the session outside the block, captured or re-bound: not rewritable.
fn check_refs(
    ctx: &Ctx,
    scope: &Scope,
    site: &Site,
    block: &Block,
    name: &str,
    range: TextRange,
) -> Check<()> {
    let creation = &site.suite[site.index];
    let none_init = match block {
        Block::Inside { none_init, .. } => none_init.map(|s| s.range()),
        _ => None,
    };
    for r in RefCollector::in_stmts(name, scope.body) {
        let line = ctx.line(r.range.start());
        if none_init.is_some_and(|n| n.contains_range(r.range)) {
            continue;
        }
        match r.kind {
            RefKind::Captured => {
                return manual(format!(
                    "`{name}` is captured by a nested function or lambda (line {line})",
                    line = Line(line)
                ))
            }
            RefKind::Declared => {
                return manual(format!(
                    "`{name}` is declared global or nonlocal (line {line})",
                    line = Line(line)
                ))
            }
            _ => {}
        }
        if creation.range().contains_range(r.range) {
            continue;
        }
        if !range.contains_range(r.range) {
            // A fresh `name = ...` after the block: what follows uses that value.
            if r.kind == RefKind::Store
                && r.range.start() >= range.end()
                && rebinds_at_top(scope.body, name, r.range)
            {
                break;
            }
            if r.range.start() < range.start() {
                if in_branch_that_leaves(scope.body, r.range) {
                    continue;
                }
                return manual(format!(
                    "`{name}` already has a value before the session is created (line {line}): \
                     a parameter or an earlier assignment",
                    line = Line(line)
                ));
            }
            let nested = !std::ptr::eq(site.suite.as_ptr(), scope.body.as_ptr());
            return manual(if nested && matches!(block, Block::Leaked { .. }) {
                format!(
                    "the session is created inside a branch but used outside it (line {line})",
                    line = Line(line)
                )
            } else {
                format!(
                    "the session is used after the block (line {line})",
                    line = Line(line)
                )
            });
        }
        if r.kind == RefKind::Store {
            return manual(format!(
                "`{name}` is reassigned inside the block (line {line})",
                line = Line(line)
            ));
        }
    }
    Ok(())
}

/// `name = ...` as a statement of the function's own body (not in a branch or loop) whose
/// target is `at`.
fn rebinds_at_top(body: &[Stmt], name: &str, at: TextRange) -> bool {
    body.iter().any(|s| match s {
        Stmt::Assign(a) => {
            matches!(a.targets.as_slice(), [Expr::Name(n)] if n.id.as_str() == name && n.range == at)
        }
        _ => false,
    })
}

/// `at` lies in the body of an `if` (without `else`) of the function's own body that ends
/// in `return` or `raise`: no value bound there reaches the statements after it.
fn in_branch_that_leaves(body: &[Stmt], at: TextRange) -> bool {
    body.iter().any(|s| match s {
        Stmt::If(i) => {
            i.elif_else_clauses.is_empty()
                && i.body.iter().any(|b| b.range().contains_range(at))
                && matches!(i.body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
        }
        _ => false,
    })
}

/// A reference to the factory object itself inside the block, other than the creating
/// call: its line, and whether it is `F.remove()` (a scoped_session registry's teardown).
fn factory_used_inside(
    ctx: &Ctx,
    site: &Site,
    callee: &str,
    range: TextRange,
) -> Option<(usize, bool)> {
    use ruff_python_ast::visitor::{walk_expr, Visitor};
    struct Find<'c> {
        callee: &'c str,
        found: Vec<(TextRange, bool)>,
    }
    impl<'a> Visitor<'a> for Find<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr {
                // `F()` creates another session (a nested block): not a use of the proxy.
                if syntax::dotted(&c.func).as_deref() == Some(self.callee) {
                    for a in c.arguments.args.iter() {
                        self.visit_expr(a);
                    }
                    for k in c.arguments.keywords.iter() {
                        self.visit_expr(&k.value);
                    }
                    return;
                }
                if let Expr::Attribute(a) = &*c.func {
                    if a.attr.as_str() == "remove"
                        && syntax::dotted(&a.value).as_deref() == Some(self.callee)
                    {
                        self.found.push((expr.range(), true));
                        return;
                    }
                }
            }
            if matches!(expr, Expr::Name(_) | Expr::Attribute(_))
                && syntax::dotted(expr).as_deref() == Some(self.callee)
            {
                self.found.push((expr.range(), false));
                return;
            }
            walk_expr(self, expr);
        }
    }
    let creation = site.suite[site.index].range();
    let mut f = Find {
        callee,
        found: vec![],
    };
    for s in &site.suite[site.index..] {
        if range.contains_range(s.range()) {
            ruff_python_ast::visitor::walk_stmt(&mut f, s);
        }
    }
    let uses: Vec<(TextRange, bool)> = f
        .found
        .into_iter()
        .filter(|(r, _)| !creation.contains_range(*r))
        .collect();
    // Any other use first: it is what the reason must name.
    uses.iter()
        .find(|(_, remove)| !remove)
        .or(uses.first())
        .map(|(r, remove)| (ctx.line(r.start()), *remove))
}

/// Two sessions sharing one `try:` (or created one after the other before it) cannot become
/// two nested guards without moving one's cleanup.
fn check_interleaved(
    ctx: &Ctx,
    scope: &Scope,
    site: &Site,
    block: &Block,
    name: &str,
) -> Check<()> {
    let t = match block {
        Block::After { try_index, .. } => match &site.suite[*try_index] {
            Stmt::Try(t) => t,
            _ => return Ok(()),
        },
        Block::Inside { try_stmt, .. } => try_stmt,
        Block::Leaked { .. } => return Ok(()),
    };
    // Names created from a factory in this scope, other than ours.
    let mut all = vec![];
    syntax::walk_stmts(scope.body, &mut all);
    let others: Vec<&str> = all
        .iter()
        .filter_map(|s| syntax::assign_name_target(s))
        .filter(|(n, v)| {
            *n != name && {
                let v = match v {
                    Expr::Await(a) => &*a.value,
                    v => v,
                };
                ctx.index.factory_call(v, &ctx.imports).is_some()
            }
        })
        .map(|(n, _)| n)
        .collect();
    let mut clauses: Vec<&Stmt> = vec![];
    for h in &t.handlers {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        clauses.extend(h.body.iter());
    }
    clauses.extend(t.finalbody.iter());
    clauses.extend(t.orelse.iter());
    for other in others {
        let managed = ["rollback", "close", "commit"].iter().any(|m| {
            !usage::session_calls(
                &clauses.iter().map(|s| (*s).clone()).collect::<Vec<_>>(),
                other,
                m,
            )
            .is_empty()
        });
        if managed {
            return manual(format!(
                "two sessions interleave: the `try:` at line {} also manages `{other}`",
                Line(ctx.line(t.start()))
            ));
        }
    }
    Ok(())
}

/// The session (or something holding it) leaving the block: returned, stored, used later.
fn check_escapes(
    ctx: &Ctx,
    site: &Site,
    _block: &Block,
    name: &str,
    taint: &Taint,
    range: TextRange,
) -> Check<()> {
    let mut all = vec![];
    syntax::walk_stmts(&site.suite[site.index..], &mut all);
    for stmt in all.into_iter().filter(|s| range.contains_range(s.range())) {
        let holds = |e: &Expr| {
            usage::holds_session(e, name)
                || taint.holders.iter().any(|h| usage::holds_session(e, h))
        };
        match stmt {
            Stmt::Return(r) if r.value.as_deref().is_some_and(holds) => {
                return manual(format!(
                    "the session escapes: returned at line {}",
                    Line(ctx.line(r.start()))
                ))
            }
            Stmt::Assign(a)
                if holds(&a.value) && a.targets.iter().any(|t| !matches!(t, Expr::Name(_))) =>
            {
                let target = &ctx.text[a.targets[0].range().start().to_usize()
                    ..a.targets[0].range().end().to_usize()];
                return manual(format!(
                    "the session is stored on `{target}` (line {})",
                    Line(ctx.line(a.start()))
                ));
            }
            _ => {}
        }
    }
    for holder in &taint.holders {
        let after = RefCollector::in_stmts(holder, site.suite)
            .into_iter()
            .find(|r| r.range.start() > range.end());
        if let Some(r) = after {
            return manual(format!(
                "`{holder}` holds the session and is used after the block (line {})",
                Line(ctx.line(r.range.start()))
            ));
        }
    }
    Ok(())
}

/// Reviews for values loaded through the session that outlive it. `closed_before`: the
/// original closed the session at the block's end too; `guard_expires`: the guard commits
/// (expiring every loaded object) where the original did not commit last.
#[allow(clippy::too_many_arguments)]
fn detached_reviews(
    ctx: &Ctx,
    site: &Site,
    stmts: &[Stmt],
    name: &str,
    taint: &Taint,
    range: TextRange,
    closed_before: bool,
    guard_expires: bool,
    review: &mut Vec<String>,
) {
    let mut names: Vec<&str> = taint.loaded.iter().map(String::as_str).collect();
    names.push(name);
    if closed_before && !guard_expires {
        return;
    }
    // The original left the session open: say it is closed now too.
    let closed = if closed_before {
        ""
    } else {
        "session now closed, and "
    };
    // After a commit every attribute is expired; after a close alone only what was never
    // loaded (relations) fails.
    for r in usage::returns_in(stmts) {
        if let Some(v) = r.value.as_deref() {
            if let Some(obj) = usage::escaping_object(v, &names) {
                let line = ctx.line(r.start());
                let obj = if obj == name {
                    format!("what `{name}` loaded")
                } else {
                    format!("`{obj}`")
                };
                review.push(if guard_expires {
                    format!(
                        "{closed}the guard's commit on exit expires {obj} (returned at line {line}): \
                         reading it after the block raises DetachedInstanceError"
                    , line = Line(line))
                } else {
                    format!(
                        "session now closed: {obj} (loaded through it) is returned at line \
                         {line} and may raise DetachedInstanceError when its relations are read"
                    )
                });
                return;
            }
        }
    }
    for obj in names.iter().filter(|n| **n != name) {
        let after = RefCollector::in_stmts(obj, site.suite)
            .into_iter()
            .find(|r| r.range.start() > range.end());
        if let Some(r) = after {
            let line = ctx.line(r.range.start());
            review.push(if guard_expires {
                format!(
                    "{closed}the guard's commit on exit expires `{obj}`, read at line {line} after the \
                     block: DetachedInstanceError"
                , line = Line(line))
            } else {
                format!(
                    "session now closed: `{obj}` (loaded through it) is used at line {line} after \
                     the block and may raise DetachedInstanceError"
                , line = Line(line))
            });
            return;
        }
    }
}

/// Commit reviews shared by all shapes: the guard's commit against the original's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn commit_reviews(
    ctx: &Ctx,
    guard_commits: bool,
    body: &[Stmt],
    name: &str,
    trailing: Option<usize>,
    else_commit: bool,
    taint: &Taint,
    review: &mut Vec<String>,
) {
    if !guard_commits {
        return;
    }
    if trailing.is_none() && !else_commit {
        // Only a commit of the block's own is sure to run: a function it calls may commit on
        // some paths only (the summaries say "may"), so what comes before such a call is
        // not known to be committed.
        let last_top = body
            .iter()
            .rposition(|s| syntax::is_session_call(s, name, "commit"));
        let tail = match last_top {
            Some(k) => &body[k + 1..],
            None => body,
        };
        if usage::is_read_only(ctx, tail, name, taint) {
            return; // the guard's commit on exit has nothing to commit
        }
        let commits = usage::session_calls(body, name, "commit");
        if let (true, Some(call)) = (commits.is_empty(), ending_call(ctx, body, name, COMMIT)) {
            review.push(format!(
                "guard commits again at the end; the original committed only in `{}` (called \
                 at line {})",
                call.function,
                Line(ctx.line(call.range.start()))
            ));
        } else if commits.is_empty() {
            review.push("guard commits where the original never committed".into());
        } else {
            let last = commits
                .last()
                .map(|r| ctx.line(r.start()))
                .unwrap_or_default();
            review.push(format!(
                "guard commits again at the end, where the original left the work after line \
                 {last} uncommitted"
            ));
        }
        return;
    }
    let before = match trailing {
        Some(k) => &body[..k],
        None => body,
    };
    if let Some(r) = usage::returns_in(before).first() {
        review.push(format!(
            "guard also commits on the early `return` at line {}, which skipped the commit",
            Line(ctx.line(r.start()))
        ));
    }
}

/// The first call in `stmts` that makes a session of the tree (a factory, `F.begin()`, a
/// guard): it reads through another connection, so it sees only committed work.
fn opens_session(ctx: &Ctx, stmts: &[Stmt]) -> Option<TextRange> {
    use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
    struct Find<'c, 'a> {
        ctx: &'c Ctx<'a>,
        found: Option<TextRange>,
    }
    impl<'x> Visitor<'x> for Find<'_, '_> {
        fn visit_expr(&mut self, expr: &'x Expr) {
            if self.found.is_some() {
                return;
            }
            let ctx = self.ctx;
            let through_call = matches!(expr, Expr::Call(c)
                if ctx.index.call_effect(c, &ctx.imports, &ctx.file.path).opens);
            let opens = through_call
                || ctx.index.factory_call(expr, &ctx.imports).is_some()
                || ctx.index.begin_factory(expr, &ctx.imports).is_some()
                || ctx
                    .index
                    .guard_call(expr, &ctx.imports, &ctx.file.path)
                    .is_some();
            if opens {
                self.found = Some(expr.range());
                return;
            }
            walk_expr(self, expr);
        }
    }
    let mut f = Find { ctx, found: None };
    for s in stmts {
        walk_stmt(&mut f, s);
    }
    f.found
}

/// The commit that ends the success path (removable when the guard commits), after the
/// checks and reviews every shape makes of the original's commits.
fn commits(
    ctx: &Ctx,
    guard: &BlockGuard,
    body: &[Stmt],
    name: &str,
    else_commit: bool,
    taint: &Taint,
    review: &mut Vec<String>,
) -> Check<Option<usize>> {
    let trailing = usage::trailing_commit(body, name, taint);
    begin_form_commits(ctx, guard, body, name, trailing)?;
    if let (Some(k), true) = (trailing, guard.lifecycle.commits) {
        if let Some(r) = opens_session(ctx, &body[k + 1..]) {
            return manual(format!(
                "line {} opens another session (there or in a function it calls) after the \
                 commit, which the guard would make only on exit: that session would no longer \
                 see this work",
                Line(ctx.line(r.start()))
            ));
        }
    }
    commit_reviews(
        ctx,
        guard.lifecycle.commits,
        body,
        name,
        trailing,
        else_commit,
        taint,
        review,
    );
    Ok(trailing)
}

/// SQLAlchemy's `begin()` guards end their transaction at a commit: any commit left in the
/// block (a checkpoint) would make the next statement fail with "Can't operate on closed
/// transaction inside context manager".
fn begin_form_commits(
    ctx: &Ctx,
    guard: &BlockGuard,
    body: &[Stmt],
    name: &str,
    trailing: Option<usize>,
) -> Check<()> {
    if !guard.expr.ends_with(".begin()") && !guard.begin_on_session {
        return Ok(());
    }
    let trailing_range = trailing.map(|k| body[k].range());
    for r in usage::session_calls(body, name, "commit") {
        if trailing_range.is_some_and(|t| t.contains_range(r)) {
            continue;
        }
        return manual(format!(
            "commit at line {} would close the transaction of `{}` mid-block; SQLAlchemy's \
             `begin()` allows no checkpoint: add a guard (`codemod guard --suggest`) or split \
             the block",
            Line(ctx.line(r.start())),
            guard.expr
        ));
    }
    if let Some(call) = ending_call(ctx, body, name, ENDS) {
        return manual(format!(
            "line {} passes the session to `{}`, which {}: inside `{}` the next statement \
             would fail on the closed transaction; SQLAlchemy's `begin()` allows no \
             checkpoint: fix by hand",
            Line(ctx.line(call.range.start())),
            call.function,
            call.what(),
            guard.expr
        ));
    }
    Ok(())
}

/// The block's own work: its statements without the session's creation and close, the
/// managing `try` unwrapped to its body and `else`.
fn work_of(site: &Site, name: &str, range: TextRange) -> Vec<Stmt> {
    let mut out = vec![];
    for (i, s) in site.suite.iter().enumerate() {
        if i == site.index || !range.contains_range(s.range()) || is_close(s, name) {
            continue;
        }
        match s {
            Stmt::Try(t) => out.extend(
                t.body
                    .iter()
                    .chain(&t.orelse)
                    .filter(|s| !is_close(s, name))
                    .cloned(),
            ),
            _ => out.push(s.clone()),
        }
    }
    out
}

/// A call that passes the session to a function of the project that ends its transaction
/// (directly or in a call further down).
pub(crate) struct EndingCall {
    pub(crate) range: TextRange,
    pub(crate) function: String,
    effects: crate::summaries::Effects,
}

impl EndingCall {
    /// What the function does to the session: "commits it", "rolls it back"...
    pub(crate) fn what(&self) -> &'static str {
        match (self.commits(), self.effects & ROLLBACK != 0) {
            (true, true) => "commits or rolls it back",
            (true, false) => "commits it",
            (false, true) => "rolls it back",
            _ => "closes it",
        }
    }

    pub(crate) fn commits(&self) -> bool {
        self.effects & COMMIT != 0
    }
}

/// The first call in `stmts` whose project callee has one of `bits` on the session `name`.
pub(crate) fn ending_call(
    ctx: &Ctx,
    stmts: &[Stmt],
    name: &str,
    bits: crate::summaries::Effects,
) -> Option<EndingCall> {
    use ruff_python_ast::visitor::{walk_expr, walk_stmt, Visitor};
    struct Find<'c, 'a, 'n> {
        ctx: &'c Ctx<'a>,
        name: &'n str,
        bits: crate::summaries::Effects,
        found: Option<EndingCall>,
    }
    impl<'x> Visitor<'x> for Find<'_, '_, '_> {
        fn visit_expr(&mut self, expr: &'x Expr) {
            if self.found.is_some() {
                return;
            }
            if let Expr::Call(c) = expr {
                let ctx = self.ctx;
                let passes_it = crate::summaries::arguments(c)
                    .any(|(_, a)| matches!(a, Expr::Name(n) if n.id.as_str() == self.name));
                if !passes_it {
                    return walk_expr(self, expr);
                }
                let effect = ctx.index.call_effect(c, &ctx.imports, &ctx.file.path);
                for (slot, arg) in crate::summaries::arguments(c) {
                    let passes = matches!(arg, Expr::Name(n) if n.id.as_str() == self.name);
                    let on = effect.on(&slot);
                    if passes && !effect.external && on & self.bits != 0 {
                        self.found = Some(EndingCall {
                            range: c.range(),
                            function: effect.which(&slot, self.bits).unwrap_or("?").to_string(),
                            effects: on & ENDS,
                        });
                        return;
                    }
                }
            }
            walk_expr(self, expr);
        }
    }
    let mut f = Find {
        ctx,
        name,
        bits,
        found: None,
    };
    for s in stmts {
        walk_stmt(&mut f, s);
    }
    f.found
}

/// Remove a statement of a suite: delete its lines, or write `pass` when it is the only
/// statement left (an empty suite does not parse).
pub(crate) fn remove_stmt(ctx: &Ctx, stmt: &Stmt, alone: bool, shift: &str) -> EditOp {
    if alone {
        EditOp::Replace {
            range: stmt.range(),
            text: "pass".into(),
        }
    } else {
        delete(ctx, stmt.range(), shift)
    }
}

fn leaked(
    ctx: &Ctx,
    job: &Takeover,
    last: usize,
    rewrite: &mut Rewrite,
    review: &mut Vec<String>,
) -> Check<Removed> {
    let Takeover {
        site,
        name,
        guard,
        header,
        taint,
    } = *job;
    let creation = &site.suite[site.index];
    if last == site.index {
        return manual("the session is created but not used in this block");
    }
    let stmts = &site.suite[site.index + 1..=last];
    for method in ["rollback", "begin"] {
        if let Some(r) = usage::session_calls(stmts, name, method).first() {
            return manual(format!(
                "explicit `{method}()` at line {}",
                Line(ctx.line(r.start()))
            ));
        }
    }
    let close_at_end = syntax::is_session_call(&stmts[stmts.len() - 1], name, "close");
    let work = if close_at_end {
        &stmts[..stmts.len() - 1]
    } else {
        stmts
    };
    if let Some(r) = usage::session_calls(work, name, "close").first() {
        return manual(format!(
            "the session is closed at line {} before its last use",
            Line(ctx.line(r.start()))
        ));
    }
    if let Some(why) = ctx.shared_line(stmts.iter().map(Ranged::range)) {
        return manual(why);
    }
    let trailing = commits(ctx, guard, work, name, false, taint, review)?;
    let range = block_range(site, &Block::Leaked { last });
    let expires = guard.lifecycle.commits && trailing.is_none();
    detached_reviews(
        ctx,
        site,
        stmts,
        name,
        taint,
        range,
        close_at_end,
        expires,
        review,
    );

    rewrite.ops.push(EditOp::Replace {
        range: creation.range(),
        text: header.to_string(),
    });
    rewrite.ops.extend(blank_lines_after(ctx, creation.end()));
    let first_line = syntax::line_end_incl(ctx.text, creation.end());
    rewrite.ops.push(EditOp::Indent {
        range: TextRange::new(first_line, stmts[stmts.len() - 1].end()),
        unit: site.unit.to_string(),
    });
    let removed = Removed {
        close_at_end,
        ..Default::default()
    };
    if let (Some(k), true) = (trailing, guard.lifecycle.commits) {
        let c = &work[k];
        rewrite
            .ops
            .push(remove_stmt(ctx, c, work.len() == 1, site.unit));
    }
    if close_at_end {
        rewrite
            .ops
            .push(delete(ctx, stmts[stmts.len() - 1].range(), site.unit));
    }
    Ok(removed)
}

/// Deletes the blank lines right after the statement ending at `end`: the statement
/// becomes a `with` header, and its body does not start with a blank line.
fn blank_lines_after(ctx: &Ctx, end: TextSize) -> Option<EditOp> {
    let first = syntax::line_end_incl(ctx.text, end);
    let mut at = first;
    let mut last = None;
    while at.to_usize() < ctx.text.len() {
        let next = syntax::line_end_incl(ctx.text, at);
        if !ctx.text[at.to_usize()..next.to_usize()].trim().is_empty() {
            break;
        }
        last = Some(at);
        at = next;
    }
    Some(EditOp::DeleteLines {
        range: TextRange::new(first, last?),
        comment_indent: String::new(),
    })
}

/// Delete a statement's lines, keeping its comments at its (shifted) indentation.
fn delete(ctx: &Ctx, range: TextRange, shift: &str) -> EditOp {
    EditOp::DeleteLines {
        range,
        comment_indent: format!("{}{shift}", ctx.indentation(range.start())),
    }
}

struct TryShape<'a> {
    t: &'a StmtTry,
    /// First statement of the try body that belongs to the session's work.
    body_from: usize,
    intermediates: &'a [Stmt],
    close_after: Option<&'a Stmt>,
    none_init: Option<&'a Stmt>,
}

/// What becomes of one `except` clause.
enum HandlerFate {
    /// Only re-raised after the rollback: dropped whole.
    Drop,
    /// Kept; its rollbacks deleted (replaced by `pass` when nothing else is left).
    Keep {
        rollbacks: Vec<TextRange>,
        empty: bool,
    },
}

/// Rewrite a block whose session a `try:` manages: the guard takes over the clauses'
/// commit, rollbacks and closes; what else the clauses hold stays in a `try:` around it.
fn with_try(
    ctx: &Ctx,
    job: &Takeover,
    shape: &TryShape,
    rewrite: &mut Rewrite,
    review: &mut Vec<String>,
) -> Check<Removed> {
    let body = session_work(ctx, shape, job.name)?;
    let clauses = Clauses::read(ctx, job, shape.t)?;
    if !clauses.keeps_try() && shape.body_from > 1 {
        return manual(
            "statements before the session inside the `try:` would have no handler left",
        );
    }
    check_try_lines(ctx, &job.site.suite[job.site.index], shape, body, &clauses)?;
    let trailing = commits(
        ctx,
        job.guard,
        body,
        job.name,
        clauses.else_commit,
        job.taint,
        review,
    )?;
    try_reviews(ctx, job, shape, body, &clauses, trailing, review);
    let removed = Removed {
        closes_in_finally: !clauses.closes.is_empty(),
        close_after: shape.close_after.is_some(),
        close_at_end: false,
    };
    try_edits(ctx, job, shape, body, clauses, trailing, &mut rewrite.ops);
    Ok(removed)
}

/// The statements of the `try:` body that do the session's work (after its creation when
/// it is made inside the `try:`). Refuses a `try:` the edits cannot take apart, and a body
/// that rolls back, closes or begins on its own.
fn session_work<'a>(ctx: &Ctx, shape: &TryShape<'a>, name: &str) -> Check<&'a [Stmt]> {
    let t = shape.t;
    if t.is_star {
        return manual("`except*` handlers are not rewritten");
    }
    let Some(first) = t.body.first() else {
        return manual("empty `try:`");
    };
    if syntax::body_on_header_line(ctx.text, t.start(), first.start()) {
        return manual("the `try:` body shares the `try:` line");
    }
    let body = &t.body[shape.body_from..];
    if body.is_empty() {
        return manual("nothing uses the session inside the `try:`");
    }
    for method in ["rollback", "close", "begin"] {
        if let Some(r) = usage::session_calls(body, name, method).first() {
            return manual(format!(
                "explicit `{method}()` inside the `try:` body at line {}",
                Line(ctx.line(r.start()))
            ));
        }
    }
    Ok(body)
}

/// An `except` clause and what becomes of it.
struct Handler<'a> {
    clause: &'a ast::ExceptHandlerExceptHandler,
    fate: HandlerFate,
}

/// The clauses of the `try:`, read: the session's lifecycle calls go (the guard does them),
/// whatever else they hold stays.
struct Clauses<'a> {
    /// `else:` holds commits only.
    else_commit: bool,
    /// The `except` clauses in source order.
    handlers: Vec<Handler<'a>>,
    /// The session's rollbacks in all `except` clauses, dropped ones included.
    rollbacks: usize,
    /// The session's closes in `finally:`.
    closes: Vec<TextRange>,
    /// `finally:` holds more than closes, so it stays.
    finally_kept: bool,
}

impl<'a> Clauses<'a> {
    /// Refuses a clause that uses the session (or what holds it) beyond what the guard does.
    fn read(ctx: &Ctx, job: &Takeover, t: &'a StmtTry) -> Check<Clauses<'a>> {
        let name = job.name;
        let watched: Vec<&str> = std::iter::once(name)
            .chain(job.taint.holders.iter().map(String::as_str))
            .collect();
        let else_commit = else_commits(ctx, job.guard, t, name)?;
        let bodies = read_handlers(ctx, t, name, &watched)?;
        let rollbacks = bodies.iter().map(|(_, b)| b.rollbacks.len()).sum();
        let handlers = decide_fates(bodies);
        let (closes, finally_kept) = finally_closes(ctx, t, name, &watched)?;
        Ok(Clauses {
            else_commit,
            handlers,
            rollbacks,
            closes,
            finally_kept,
        })
    }

    fn handler_kept(&self) -> bool {
        self.handlers
            .iter()
            .any(|h| matches!(h.fate, HandlerFate::Keep { .. }))
    }

    /// The `try:` stays around the `with`: some clause keeps statements of its own.
    fn keeps_try(&self) -> bool {
        self.handler_kept() || self.finally_kept
    }
}

/// Whether `else:` commits; it may do nothing else, and only when the guard commits too.
fn else_commits(ctx: &Ctx, guard: &BlockGuard, t: &StmtTry, name: &str) -> Check<bool> {
    let mut else_commit = false;
    for s in &t.orelse {
        if syntax::is_session_call(s, name, "commit") {
            else_commit = true;
        } else {
            return manual(format!(
                "`else:` does more than commit (line {})",
                Line(ctx.line(s.start()))
            ));
        }
    }
    if else_commit && !guard.lifecycle.commits {
        return manual(format!(
            "`else:` commits but the guard `{}` does not commit",
            guard.expr
        ));
    }
    Ok(else_commit)
}

/// An `except` clause's statements sorted: the session's rollbacks and what else is there.
struct HandlerBody {
    rollbacks: Vec<TextRange>,
    /// Nothing but rollbacks.
    empty: bool,
    /// Nothing but rollbacks and a re-raise of the caught exception.
    reraise_only: bool,
}

/// Each `except` clause's body sorted. Rollbacks go, everything else stays and must not
/// touch the session.
fn read_handlers<'a>(
    ctx: &Ctx,
    t: &'a StmtTry,
    name: &str,
    watched: &[&str],
) -> Check<Vec<(&'a ast::ExceptHandlerExceptHandler, HandlerBody)>> {
    let mut out = vec![];
    for h in &t.handlers {
        let ast::ExceptHandler::ExceptHandler(h) = h;
        let mut rollbacks = vec![];
        let mut rest = vec![];
        for s in &h.body {
            if syntax::is_session_call(s, name, "rollback") {
                rollbacks.push(s.range());
            } else if usage::stmt_mentions_any(s, watched) {
                return manual(format!(
                    "the handler at line {} uses the session beyond rollback (line {})",
                    Line(ctx.line(h.start())),
                    Line(ctx.line(s.start()))
                ));
            } else {
                rest.push(s);
            }
        }
        let reraise_only = matches!(rest.as_slice(), [Stmt::Raise(r)] if reraises(r, h));
        let body = HandlerBody {
            rollbacks,
            empty: rest.is_empty(),
            reraise_only,
        };
        out.push((h, body));
    }
    Ok(out)
}

/// A handler that only re-raises is a no-op once nothing after it is kept: dropped.
fn decide_fates<'a>(
    bodies: Vec<(&'a ast::ExceptHandlerExceptHandler, HandlerBody)>,
) -> Vec<Handler<'a>> {
    let mut later_kept = false;
    let mut decided = vec![];
    for (clause, body) in bodies.into_iter().rev() {
        let fate = if body.reraise_only && !later_kept {
            HandlerFate::Drop
        } else {
            later_kept = true;
            HandlerFate::Keep {
                rollbacks: body.rollbacks,
                empty: body.empty,
            }
        };
        decided.push(Handler { clause, fate });
    }
    decided.reverse();
    decided
}

/// The session's closes in `finally:`, and whether it holds anything else. Closes go;
/// other statements stay and must not touch the session.
fn finally_closes(
    ctx: &Ctx,
    t: &StmtTry,
    name: &str,
    watched: &[&str],
) -> Check<(Vec<TextRange>, bool)> {
    let mut closes = vec![];
    let mut others = false;
    for s in &t.finalbody {
        if is_close(s, name) {
            closes.push(s.range());
        } else if usage::stmt_mentions_any(s, watched) {
            return manual(format!(
                "`finally:` uses the session beyond close (line {})",
                Line(ctx.line(s.start()))
            ));
        } else {
            others = true;
        }
    }
    Ok((closes, others))
}

/// Every line we delete or replace must hold exactly one statement, and a handler's body
/// must start on a line of its own.
fn check_try_lines(
    ctx: &Ctx,
    creation: &Stmt,
    shape: &TryShape,
    body: &[Stmt],
    clauses: &Clauses,
) -> Check<()> {
    let t = shape.t;
    let touched = std::iter::once(creation.range())
        .chain(shape.close_after.map(|s| s.range()))
        .chain(shape.none_init.map(|s| s.range()))
        .chain(body.iter().map(|s| s.range()))
        .chain(shape.intermediates.iter().map(|s| s.range()))
        .chain(t.orelse.iter().map(|s| s.range()))
        .chain(t.finalbody.iter().map(|s| s.range()));
    let handler_stmts = clauses
        .handlers
        .iter()
        .flat_map(|h| h.clause.body.iter().map(Ranged::range));
    if let Some(why) = ctx.shared_line(touched.chain(handler_stmts)) {
        return manual(why);
    }
    for h in &clauses.handlers {
        let h = h.clause;
        if syntax::body_on_header_line(ctx.text, h.start(), h.body[0].start()) {
            return manual(format!(
                "the handler at line {} is on one line",
                Line(ctx.line(h.start()))
            ));
        }
    }
    Ok(())
}

/// Reviews for what the guard does differently from the `try:`'s clauses (`commits`
/// reviews the commits).
fn try_reviews(
    ctx: &Ctx,
    job: &Takeover,
    shape: &TryShape,
    body: &[Stmt],
    clauses: &Clauses,
    trailing: Option<usize>,
    review: &mut Vec<String>,
) {
    let guard = job.guard;
    if clauses.rollbacks > 0 && !guard.lifecycle.rolls_back() {
        review.push(format!(
            "`{}` does not roll back: closing discards the transaction instead of the explicit \
             rollback",
            guard.expr
        ));
    }
    let creation = &job.site.suite[job.site.index];
    let range = TextRange::new(
        creation.start(),
        shape.close_after.map_or(shape.t.end(), |c| c.end()),
    );
    let closed_before = !clauses.closes.is_empty() || shape.close_after.is_some();
    let expires = guard.lifecycle.commits && trailing.is_none() && !clauses.else_commit;
    detached_reviews(
        ctx,
        job.site,
        body,
        job.name,
        job.taint,
        range,
        closed_before,
        expires,
        review,
    );
    review.extend(base_exception_review(guard, clauses));
    review.extend(errors_reach_handler_review(ctx, &clauses.handlers));
    review.extend(intermediates_review(ctx, shape, clauses.keeps_try()));
}

/// The guard rolls back on any exception where the handlers (all narrower) did not, and
/// nothing closed the session on the way out either.
fn base_exception_review(guard: &BlockGuard, clauses: &Clauses) -> Option<String> {
    let narrower = |h: &Handler| {
        h.clause
            .type_
            .as_deref()
            .and_then(syntax::dotted)
            .is_some_and(|d| syntax::last_segment(&d) != "BaseException")
    };
    let widens = clauses.closes.is_empty()
        && guard.lifecycle.rollback_on == crate::lifecycle::RollbackOn::BaseException
        && clauses.rollbacks > 0
        && clauses.handlers.iter().all(narrower);
    widens.then(|| {
        "rollback now also on BaseException (KeyboardInterrupt, SystemExit), where the \
             original left the transaction open"
            .into()
    })
}

/// The `with` now sits inside the `try:`: an error opening or closing the session (the
/// original raised it past the handlers) reaches them. Harmless when every kept handler
/// re-raises it unchanged.
fn errors_reach_handler_review(ctx: &Ctx, handlers: &[Handler]) -> Option<String> {
    let changes_errors = handlers.iter().find(|h| {
        matches!(h.fate, HandlerFate::Keep { .. })
            && !matches!(h.clause.body.last(), Some(Stmt::Raise(r)) if reraises(r, h.clause))
    })?;
    Some(format!(
        "an error opening or closing the session now reaches the handler at line {} \
         (it used to propagate past the `try:`)",
        Line(ctx.line(changes_errors.clause.start()))
    ))
}

/// The statements between the creation and the `try:` move inside the kept `try:`.
fn intermediates_review(ctx: &Ctx, shape: &TryShape, kept: bool) -> Option<String> {
    if !kept {
        return None;
    }
    let (first, last) = (shape.intermediates.first()?, shape.intermediates.last()?);
    let a = ctx.line(first.start());
    let b = ctx.line(last.end());
    Some(if a == b {
        format!(
            "handlers now also catch errors raised at line {a}, before the original `try:`",
            a = Line(a)
        )
    } else {
        format!(
            "handlers now also catch errors raised at lines {a}-{b}, before the original `try:`",
            a = Line(a),
            b = Line(b)
        )
    })
}

/// The `try` keyword.
fn try_keyword(t: &StmtTry) -> TextRange {
    TextRange::at(t.start(), TextSize::from(3))
}

/// The edits: the creation becomes the `with` header (inside the `try:` when a clause
/// stays), the session's lifecycle calls go, and so do the clauses left empty.
fn try_edits(
    ctx: &Ctx,
    job: &Takeover,
    shape: &TryShape,
    body: &[Stmt],
    clauses: Clauses,
    trailing: Option<usize>,
    ops: &mut Vec<EditOp>,
) {
    let t = shape.t;
    let creation = &job.site.suite[job.site.index];
    let kept = clauses.keeps_try();
    let unit = ctx
        .indent_unit(t.start(), t.body[0].start())
        .unwrap_or_else(|| job.site.unit.to_string());
    let inside = shape.body_from > 0;
    if inside {
        open_inside_try(ctx, job, shape, kept, ops);
    } else {
        open_before_try(ctx, job, shape, &unit, kept, ops);
    }
    // The creation becomes the `with` header: its body does not start with a blank line.
    ops.extend(blank_lines_after(ctx, creation.end()));
    if kept {
        // Body (and the comment lines after it, up to the first clause) moves one level in.
        let header_end = if inside {
            creation.end()
        } else {
            try_keyword(t).end()
        };
        ops.push(EditOp::Indent {
            range: TextRange::new(
                syntax::line_end_incl(ctx.text, header_end),
                first_clause_start(ctx, t),
            ),
            unit: unit.clone(),
        });
    }
    if let (Some(k), true) = (trailing, job.guard.lifecycle.commits) {
        let alone = body.len() == 1 && shape.intermediates.is_empty();
        let body_shift = if kept { unit.as_str() } else { "" };
        ops.push(remove_stmt(ctx, &body[k], alone, body_shift));
    }
    clause_edits(ctx, job.guard, t, clauses, ops);
    if let Some(c) = shape.close_after {
        ops.push(delete(ctx, c.range(), ""));
    }
}

/// The session is created inside the `try:`: the creation becomes the header; with no
/// clause kept the `try` goes and the header takes its place.
fn open_inside_try(ctx: &Ctx, job: &Takeover, shape: &TryShape, kept: bool, ops: &mut Vec<EditOp>) {
    let t = shape.t;
    let creation = &job.site.suite[job.site.index];
    let try_indent = ctx.indentation(t.start());
    if kept {
        ops.push(EditOp::Replace {
            range: creation.range(),
            text: job.header.to_string(),
        });
    } else {
        ops.push(EditOp::DeleteLines {
            range: try_keyword(t),
            comment_indent: try_indent.clone(),
        });
        ops.push(EditOp::Replace {
            range: TextRange::new(
                syntax::line_start(ctx.text, creation.start()),
                creation.end(),
            ),
            text: format!("{try_indent}{}", job.header),
        });
    }
    if let Some(n) = shape.none_init {
        ops.push(delete(ctx, n.range(), ""));
    }
}

/// The session is created before the `try:`: the creation becomes the header (under a new
/// `try:` when a clause stays), the statements up to the old `try` move into it, and the
/// old `try` goes.
fn open_before_try(
    ctx: &Ctx,
    job: &Takeover,
    shape: &TryShape,
    unit: &str,
    kept: bool,
    ops: &mut Vec<EditOp>,
) {
    let t = shape.t;
    let creation = &job.site.suite[job.site.index];
    let header = job.header;
    let ind = ctx.indentation(creation.start());
    ops.push(EditOp::Replace {
        range: creation.range(),
        text: if kept {
            format!("try:\n{ind}{unit}{header}")
        } else {
            header.to_string()
        },
    });
    if !shape.intermediates.is_empty() {
        ops.push(EditOp::Indent {
            range: TextRange::new(
                syntax::line_end_incl(ctx.text, creation.end()),
                syntax::line_start(ctx.text, t.start()),
            ),
            unit: if kept {
                format!("{unit}{unit}")
            } else {
                unit.to_string()
            },
        });
    }
    ops.push(EditOp::DeleteLines {
        range: try_keyword(t),
        comment_indent: format!("{ind}{unit}"),
    });
}

/// The clauses' edits: dropped handlers and kept ones' rollbacks, `else:` (commits only) when
/// the guard commits, `finally:` whole or its closes.
fn clause_edits(
    ctx: &Ctx,
    guard: &BlockGuard,
    t: &StmtTry,
    clauses: Clauses,
    ops: &mut Vec<EditOp>,
) {
    for h in clauses.handlers {
        handler_edits(ctx, h, ops);
    }
    if let Some(first_else) = t.orelse.first() {
        if guard.lifecycle.commits {
            let kw = syntax::clause_keyword_before(ctx.tokens, first_else.start(), TokenKind::Else)
                .unwrap_or(first_else.start());
            ops.push(EditOp::DeleteLines {
                range: TextRange::new(kw, t.orelse[t.orelse.len() - 1].end()),
                comment_indent: ctx.indentation(first_else.start()),
            });
        }
    }
    if let Some(first_fin) = t.finalbody.first() {
        if !clauses.finally_kept {
            let kw =
                syntax::clause_keyword_before(ctx.tokens, first_fin.start(), TokenKind::Finally)
                    .unwrap_or(first_fin.start());
            ops.push(EditOp::DeleteLines {
                range: TextRange::new(kw, t.finalbody[t.finalbody.len() - 1].end()),
                comment_indent: ctx.indentation(first_fin.start()),
            });
        } else {
            for r in clauses.closes {
                ops.push(delete(ctx, r, ""));
            }
        }
    }
}

/// A dropped handler's lines go; a kept one loses its rollbacks (the first becomes `pass`
/// when nothing else is left: an empty suite does not parse).
fn handler_edits(ctx: &Ctx, h: Handler, ops: &mut Vec<EditOp>) {
    match h.fate {
        HandlerFate::Drop => ops.push(EditOp::DeleteLines {
            range: h.clause.range(),
            comment_indent: ctx.indentation(h.clause.body[0].start()),
        }),
        HandlerFate::Keep { rollbacks, empty } => {
            for (i, r) in rollbacks.into_iter().enumerate() {
                if empty && i == 0 {
                    ops.push(EditOp::Replace {
                        range: r,
                        text: "pass".into(),
                    });
                } else {
                    ops.push(delete(ctx, r, ""));
                }
            }
        }
    }
}

/// `raise` or `raise e` in `except E as e:`: the caught exception goes on unchanged.
fn reraises(r: &ast::StmtRaise, h: &ast::ExceptHandlerExceptHandler) -> bool {
    let same = match (&r.exc, &h.name) {
        (None, _) => true,
        (Some(e), Some(bound)) => matches!(&**e, Expr::Name(n) if n.id.as_str() == bound.as_str()),
        (Some(_), None) => false,
    };
    same && r.cause.is_none()
}

/// `s.close()` or `if s: s.close()` / `if s is not None: s.close()`.
fn is_close(stmt: &Stmt, name: &str) -> bool {
    if syntax::is_session_call(stmt, name, "close") {
        return true;
    }
    let Stmt::If(i) = stmt else { return false };
    let test_is_name = match &*i.test {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Compare(c) => {
            matches!(&*c.left, Expr::Name(n) if n.id.as_str() == name)
                && c.comparators.len() == 1
                && matches!(c.comparators[0], Expr::NoneLiteral(_))
                && matches!(c.ops[0], ast::CmpOp::IsNot)
        }
        _ => false,
    };
    test_is_name
        && i.elif_else_clauses.is_empty()
        && i.body.len() == 1
        && syntax::is_session_call(&i.body[0], name, "close")
}

/// Start of the line of the first clause after the try body (`except`, `else`, `finally`).
fn first_clause_start(ctx: &Ctx, t: &StmtTry) -> TextSize {
    let at = if let Some(h) = t.handlers.first() {
        h.start()
    } else if let Some(s) = t.orelse.first() {
        syntax::clause_keyword_before(ctx.tokens, s.start(), TokenKind::Else).unwrap_or(s.start())
    } else if let Some(s) = t.finalbody.first() {
        syntax::clause_keyword_before(ctx.tokens, s.start(), TokenKind::Finally)
            .unwrap_or(s.start())
    } else {
        t.end()
    };
    syntax::line_start(ctx.text, at)
}

#[cfg(test)]
mod tests {
    use crate::{EditOp, ProjectIndex, SourceFile};

    /// `session_scope()`: commits, rolls back on `Exception`, closes.
    const COMMITTING: &str = "from contextlib import contextmanager\n\
        from sqlalchemy.orm import sessionmaker\n\n\
        SessionLocal = sessionmaker()\n\n\
        @contextmanager\n\
        def session_scope():\n    session = SessionLocal()\n    try:\n        yield session\n        \
        session.commit()\n    except Exception:\n        session.rollback()\n        raise\n    \
        finally:\n        session.close()\n";

    /// `session_scope()`: closes only.
    const CLOSING: &str = "from contextlib import contextmanager\n\
        from sqlalchemy.orm import sessionmaker\n\n\
        SessionLocal = sessionmaker()\n\n\
        @contextmanager\n\
        def session_scope():\n    session = SessionLocal()\n    try:\n        yield session\n    \
        finally:\n        session.close()\n";

    /// `session_scope()`: commits, rolls back on any exception, closes.
    const ROLLS_BACK_ON_ANY: &str = "from contextlib import contextmanager\n\
        from sqlalchemy.orm import sessionmaker\n\n\
        SessionLocal = sessionmaker()\n\n\
        @contextmanager\n\
        def session_scope():\n    session = SessionLocal()\n    try:\n        yield session\n        \
        session.commit()\n    except BaseException:\n        session.rollback()\n        raise\n    \
        finally:\n        session.close()\n";

    /// The findings of `app.py` (which imports `SessionLocal` from `db.py`, defined by
    /// `db`), one line each, and under each its edits stated on the original text.
    fn plan(db: &str, app_body: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"t\"\n").unwrap();
        let app = format!("from db import SessionLocal\n\n\n{app_body}");
        let mut facts = vec![];
        for (name, text) in [("db.py", db), ("app.py", app.as_str())] {
            let p = root.join(name);
            std::fs::write(&p, text).unwrap();
            let f = SourceFile::read(&p).unwrap();
            let parsed = crate::parse(&f).unwrap();
            facts.push(crate::collect_facts(&f, &parsed, None));
        }
        let config = crate::LoadedConfig::discover(&root).unwrap();
        let index = ProjectIndex::build_in(&root, config, facts);
        let file = SourceFile::read(&root.join("app.py")).unwrap();
        let parsed = crate::parse(&file).unwrap();
        let text = file.text.as_str();
        let line = |at: ruff_text_size::TextSize| text[..at.to_usize()].matches('\n').count() + 1;
        let slice = |r: ruff_text_size::TextRange| &text[r.start().to_usize()..r.end().to_usize()];
        let mut out = String::new();
        for f in crate::analyze(&file, &parsed, &index) {
            out.push_str(&format!(
                "{}: {:?} {:?}: {}\n",
                f.line, f.kind, f.safety, f.reason
            ));
            for op in f.rewrite.iter().flat_map(|r| &r.ops) {
                let op = match op {
                    EditOp::Replace { range, text } => {
                        format!("replace {:?} with {text:?}", slice(*range))
                    }
                    EditOp::Indent { range, unit } => format!(
                        "indent lines {}-{} by {unit:?}",
                        line(range.start()),
                        line(range.end())
                    ),
                    EditOp::DeleteLines {
                        range,
                        comment_indent,
                    } => format!(
                        "delete {:?} (comments at {comment_indent:?})",
                        slice(*range)
                    ),
                    EditOp::Insert { at, text } => format!("insert {text:?} at line {}", line(*at)),
                };
                out.push_str(&format!("    {op}\n"));
            }
        }
        out
    }

    /// `plan` of the function `app` (given line by line) is `expected`, line by line.
    fn assert_plan(db: &str, app: &[&str], expected: &[&str]) {
        let app = app.iter().map(|l| format!("{l}\n")).collect::<String>();
        let expected = expected
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        assert_eq!(plan(db, &app), expected, "{app}");
    }

    /// Shapes of `try:` left to a person, each with its reason.
    #[test]
    fn try_shapes_left_to_a_person() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try: s.add(x)",
                "    finally:",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: the `try:` body shares the `try:` line"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f():",
                "    try:",
                "        s = SessionLocal()",
                "    finally:",
                "        s.close()",
            ],
            &["6: ManualLifecycle Manual: nothing uses the session inside the `try:`"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "        s.rollback()",
                "    finally:",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: explicit `rollback()` inside the `try:` body at line 8"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    else:",
                "        s.commit()",
                "        print(x)",
                "    finally:",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: `else:` does more than commit (line 13)"],
        );
        assert_plan(
            CLOSING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    else:",
                "        s.commit()",
                "    finally:",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: `else:` commits but the guard `session_scope()` does not commit"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "        s.commit()",
                "    finally:",
                "        s.expunge_all()",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: `finally:` uses the session beyond close (line 10)"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    try:",
                "        y = x + 1",
                "        s = SessionLocal()",
                "        s.add(y)",
                "        s.commit()",
                "    finally:",
                "        s.close()",
            ],
            &["7: ManualLifecycle Manual: statements before the session inside the `try:` would have no handler left"],
        );
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback(); raise",
                "    finally:",
                "        s.close()",
            ],
            &["5: ManualLifecycle Manual: line 10 holds several statements"],
        );
    }

    #[test]
    fn intermediate_statement_is_caught_by_the_kept_handler() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    y = x + 1",
                "    try:",
                "        s.add(y)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback()",
                "        print(\"failed\")",
                "        raise",
                "    finally:",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Review: handlers now also catch errors raised at line 6, before the original `try:`",
                "    replace \"s = SessionLocal()\" with \"try:\\n        with session_scope() as s:\"",
                "    indent lines 6-7 by \"        \"",
                "    delete \"try\" (comments at \"        \")",
                "    indent lines 8-10 by \"    \"",
                "    delete \"s.commit()\" (comments at \"            \")",
                "    delete \"s.rollback()\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn intermediate_statements_over_several_lines() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    y = x + 1",
                "    z = y + 1",
                "    try:",
                "        s.add(z)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback()",
                "        print(\"failed\")",
                "        raise",
                "    finally:",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Review: handlers now also catch errors raised at lines 6-7, before the original `try:`",
                "    replace \"s = SessionLocal()\" with \"try:\\n        with session_scope() as s:\"",
                "    indent lines 6-8 by \"        \"",
                "    delete \"try\" (comments at \"        \")",
                "    indent lines 9-11 by \"    \"",
                "    delete \"s.commit()\" (comments at \"            \")",
                "    delete \"s.rollback()\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn intermediate_statements_move_into_the_with_when_no_clause_stays() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    y = x + 1",
                "    try:",
                "        s.add(y)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    finally:",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Safe: `session_scope()` commits, rolls back and closes as the original did",
                "    replace \"s = SessionLocal()\" with \"with session_scope() as s:\"",
                "    indent lines 6-7 by \"    \"",
                "    delete \"try\" (comments at \"        \")",
                "    delete \"s.commit()\" (comments at \"        \")",
                "    delete \"except Exception:\\n        s.rollback()\\n        raise\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn guard_rolling_back_on_any_exception_is_reviewed() {
        assert_plan(
            ROLLS_BACK_ON_ANY,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    s.close()",
            ],
            &[
                "5: ManualLifecycle Review: rollback now also on BaseException (KeyboardInterrupt, SystemExit), where the original left the transaction open; the session is now also closed on error paths, where it leaked",
                "    replace \"s = SessionLocal()\" with \"with session_scope() as s:\"",
                "    delete \"try\" (comments at \"        \")",
                "    delete \"s.commit()\" (comments at \"        \")",
                "    delete \"except Exception:\\n        s.rollback()\\n        raise\" (comments at \"        \")",
                "    delete \"s.close()\" (comments at \"    \")",
            ],
        );
    }

    #[test]
    fn creation_inside_the_try_after_none_init_keeps_the_handler() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = None",
                "    try:",
                "        s = SessionLocal()",
                "        s.add(x)",
                "        s.commit()",
                "    except ValueError:",
                "        s.rollback()",
                "        print(\"bad\")",
                "    finally:",
                "        s.close()",
            ],
            &[
                "7: ManualLifecycle Review: an error opening or closing the session now reaches the handler at line 10 (it used to propagate past the `try:`); if creating the session raises, the original handler failed on the unbound `s`; now the handler runs normally",
                "    replace \"s = SessionLocal()\" with \"with session_scope() as s:\"",
                "    delete \"s = None\" (comments at \"    \")",
                "    indent lines 8-10 by \"    \"",
                "    delete \"s.commit()\" (comments at \"            \")",
                "    delete \"s.rollback()\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn creation_inside_the_try_whose_clauses_all_go() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    try:",
                "        s = SessionLocal()",
                "        s.add(x)",
                "        s.commit()",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    finally:",
                "        s.close()",
            ],
            &[
                "6: ManualLifecycle Review: if creating the session raises, the original handler failed on the unbound `s`; now the handler runs normally",
                "    delete \"try\" (comments at \"    \")",
                "    replace \"        s = SessionLocal()\" with \"    with session_scope() as s:\"",
                "    delete \"s.commit()\" (comments at \"        \")",
                "    delete \"except Exception:\\n        s.rollback()\\n        raise\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn swallowing_handler_becomes_pass_and_finally_keeps_its_other_statements() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "    except ValueError:",
                "        s.rollback()",
                "    else:",
                "        s.commit()",
                "    finally:",
                "        print(\"done\")",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Review: an error opening or closing the session now reaches the handler at line 8 (it used to propagate past the `try:`)",
                "    replace \"s = SessionLocal()\" with \"try:\\n        with session_scope() as s:\"",
                "    delete \"try\" (comments at \"        \")",
                "    indent lines 7-8 by \"    \"",
                "    replace \"s.rollback()\" with \"pass\"",
                "    delete \"else:\\n        s.commit()\" (comments at \"        \")",
                "    delete \"s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn lone_trailing_commit_becomes_pass() {
        assert_plan(
            COMMITTING,
            &[
                "def f():",
                "    s = SessionLocal()",
                "    try:",
                "        s.commit()",
                "    finally:",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Safe: `session_scope()` commits, rolls back and closes as the original did",
                "    replace \"s = SessionLocal()\" with \"with session_scope() as s:\"",
                "    delete \"try\" (comments at \"        \")",
                "    replace \"s.commit()\" with \"pass\"",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }

    #[test]
    fn re_raising_handler_dropped_only_after_the_last_kept_one() {
        assert_plan(
            COMMITTING,
            &[
                "def f(x):",
                "    s = SessionLocal()",
                "    try:",
                "        s.add(x)",
                "        s.commit()",
                "    except ValueError:",
                "        s.rollback()",
                "        raise",
                "    except KeyError:",
                "        s.rollback()",
                "        print(\"missing\")",
                "        raise",
                "    except Exception:",
                "        s.rollback()",
                "        raise",
                "    finally:",
                "        s.close()",
            ],
            &[
                "5: ManualLifecycle Safe: `session_scope()` commits, rolls back and closes as the original did",
                "    replace \"s = SessionLocal()\" with \"try:\\n        with session_scope() as s:\"",
                "    delete \"try\" (comments at \"        \")",
                "    indent lines 7-9 by \"    \"",
                "    delete \"s.commit()\" (comments at \"            \")",
                "    delete \"s.rollback()\" (comments at \"        \")",
                "    delete \"s.rollback()\" (comments at \"        \")",
                "    delete \"except Exception:\\n        s.rollback()\\n        raise\" (comments at \"        \")",
                "    delete \"finally:\\n        s.close()\" (comments at \"        \")",
            ],
        );
    }
}
