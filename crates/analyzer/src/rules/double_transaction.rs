//! `s.commit()` / `s.rollback()` inside a guard that already commits and rolls back
//! (critical: the transaction is split behind the guard's back). A trailing commit is redundant and goes; a mid-body commit is a
//! checkpoint, offered as a review rewrite into `flush()`.

use ruff_python_ast::{self as ast, Expr, Stmt, StmtWith};
use ruff_text_size::{Ranged, TextRange};

use super::manual_block::{commit_reviews, ending_call, remove_stmt};
use super::raw_factory_with::raw_factory;
use super::usage::{self, Taint};
use super::{join_reasons, Ctx, Scope};
use crate::finding::{Kind, Safety};
use crate::lifecycle::Lifecycle;
use crate::rewrite::{EditOp, Rewrite};
use crate::summaries::{COMMIT, ROLLBACK};
use crate::syntax;
use codemod_core::reason::Line;

/// The guard a `with` enters.
struct Guarded<'a> {
    /// The session name it binds.
    name: &'a str,
    lifecycle: Lifecycle,
    /// Its text, for messages.
    expr: String,
    /// SQLAlchemy's own `F.begin()`: once the session commits or rolls back inside it, any
    /// further use of the session raises `InvalidRequestError` (closed transaction).
    begin_form: bool,
}

fn guarded<'a>(ctx: &Ctx, w: &'a StmtWith) -> Option<Guarded<'a>> {
    if let Some((name, factory, raw)) = raw_factory(ctx, w) {
        // A raw `.begin()` is shape 3's business when the codebase has a guard.
        if raw.commits && !ctx.index.has_project_guard(factory.is_async) {
            let text = &ctx.text[w.items[0].context_expr.range().start().to_usize()
                ..w.items[0].context_expr.range().end().to_usize()];
            return Some(Guarded {
                name,
                lifecycle: raw,
                expr: text.to_string(),
                begin_form: true,
            });
        }
        return None;
    }
    let first = w.items.first()?;
    let Some(Expr::Name(var)) = first.optional_vars.as_deref() else {
        return None;
    };
    let lifecycle = ctx
        .index
        .guard_call(&first.context_expr, &ctx.imports, &ctx.file.path)?;
    let r = first.context_expr.range();
    Some(Guarded {
        name: var.id.as_str(),
        lifecycle,
        expr: ctx.text[r.start().to_usize()..r.end().to_usize()].to_string(),
        begin_form: false,
    })
}

pub(crate) fn check(ctx: &mut Ctx, scope: &Scope, w: &StmtWith) {
    let Some(g) = guarded(ctx, w) else {
        return;
    };
    let taint = Taint::compute(scope.body, g.name);
    if g.lifecycle.commits {
        commits(ctx, w, &g, &taint);
        helper_ends(ctx, w, &g);
    }
    if g.lifecycle.rolls_back() {
        rollbacks(ctx, w, &g);
    }
}

/// A call inside the guard that commits or rolls back the session further down (the
/// function summaries): the transaction is split behind the guard's back as by a commit in
/// the block, but the fix is in that function, so it is reported, never rewritten.
fn helper_ends(ctx: &mut Ctx, w: &StmtWith, g: &Guarded) {
    let Some(call) = ending_call(ctx, &w.body, g.name, COMMIT | ROLLBACK) else {
        return;
    };
    let line = ctx.line(call.range.start());
    let then = if g.begin_form {
        "the next use of the session raises InvalidRequestError"
    } else if call.commits() {
        "the work before the call is committed there, not once on exit"
    } else {
        "the work before the call is undone there, and the guard commits what follows"
    };
    let reason = format!(
        "line {line} passes the session to `{}`, which {}, inside `{}`, which commits on \
         exit: {then}; fix by hand (let the guard end the transaction)",
        call.function,
        call.what(),
        g.expr,
        line = Line(line)
    );
    ctx.push(
        Kind::DoubleTransaction,
        Safety::Manual,
        reason,
        call.range,
        None,
    );
}

fn commits(ctx: &mut Ctx, w: &StmtWith, g: &Guarded, taint: &Taint) {
    let (name, expr) = (g.name, g.expr.as_str());
    let trailing = usage::trailing_commit(&w.body, name, taint);
    let trailing_range = trailing.map(|k| w.body[k].range());
    for r in usage::session_calls(&w.body, name, "commit") {
        let stmt_range = w
            .body
            .iter()
            .map(Ranged::range)
            .find(|s| s.contains_range(r))
            .unwrap_or(r);
        if Some(stmt_range) == trailing_range {
            let mut review = vec![];
            commit_reviews(
                ctx,
                true,
                &w.body,
                name,
                trailing,
                false,
                taint,
                &mut review,
            );
            if !ctx.owns_lines(stmt_range) {
                let line = ctx.line(r.start());
                ctx.push(
                    Kind::DoubleTransaction,
                    Safety::Manual,
                    format!("line {line} holds several statements", line = Line(line)),
                    stmt_range,
                    None,
                );
                continue;
            }
            let sole = &w.body[trailing.unwrap_or_default()];
            let rewrite = Rewrite {
                ops: vec![remove_stmt(ctx, sole, w.body.len() == 1, "")],
                imports: vec![],
                maybe_unused: vec![],
            };
            let (safety, reason) = if review.is_empty() {
                (
                    Safety::Safe,
                    format!(
                        "`{expr}` commits on exit; this trailing commit committed the same work"
                    ),
                )
            } else {
                (Safety::Review, join_reasons(&review))
            };
            ctx.push(
                Kind::DoubleTransaction,
                safety,
                reason,
                stmt_range,
                Some(rewrite),
            );
        } else {
            mid_body_commit(ctx, w, g, taint, r, stmt_range);
        }
    }
}

/// A commit before more work inside a guard that commits on exit. As a statement of its own
/// at the top of the `with` body it becomes `flush()`: the SQL still runs at that point (so
/// the reads after it see the same rows and a failing write fails there), but the work is
/// committed once, on exit. That changes what a later error keeps, so it is a review rewrite.
fn mid_body_commit(
    ctx: &mut Ctx,
    w: &StmtWith,
    g: &Guarded,
    taint: &Taint,
    call: TextRange,
    stmt_range: TextRange,
) {
    let (name, expr) = (g.name, g.expr.as_str());
    let line = ctx.line(call.start());
    if g.begin_form {
        // Not a checkpoint at all: the next use of the session fails.
        let reason = format!(
            "commit at line {line} closes the transaction of `{expr}`: the next use of the \
             session raises InvalidRequestError; fix by hand (`flush()`, or two blocks)",
            line = Line(line)
        );
        return ctx.push(Kind::DoubleTransaction, Safety::Manual, reason, call, None);
    }
    let top = w.body.iter().position(|s| s.range() == stmt_range);
    // Nothing after it is no "followed only by reads".
    let reads_after = top.is_some_and(|k| {
        k + 1 < w.body.len() && usage::is_read_only(ctx, &w.body[k + 1..], name, taint)
    });
    let what = if reads_after {
        format!(
            "commit at line {line} is followed only by reads of what it wrote",
            line = Line(line)
        )
    } else {
        format!(
            "checkpoint commit at line {line} commits part of the work early",
            line = Line(line)
        )
    };
    let refuse = |ctx: &mut Ctx, why: String| {
        let reason = format!(
            "{what}, inside `{expr}`, which commits on exit: {why}; keep it or restructure by hand"
        );
        ctx.push(Kind::DoubleTransaction, Safety::Manual, reason, call, None);
    };
    let Some(k) = top.filter(|&k| syntax::is_session_call(&w.body[k], name, "commit")) else {
        return refuse(
            ctx,
            "it sits inside a branch, loop or `try:`, where one commit on exit is not the same \
             transaction"
                .into(),
        );
    };
    if !ctx.owns_lines(stmt_range) {
        return refuse(
            ctx,
            format!("line {line} holds several statements", line = Line(line)),
        );
    }
    // A rollback (or a new transaction) after the commit would now undo the work before it.
    let rest = &w.body[k + 1..];
    for method in ["rollback", "begin", "begin_nested", "close"] {
        if let Some(r) = usage::session_calls(rest, name, method).first() {
            let at = ctx.line(r.start());
            return refuse(
                ctx,
                format!(
                    "the `{method}()` at line {at} would then also undo the work before it",
                    at = Line(at)
                ),
            );
        }
    }
    let attr = match &w.body[k] {
        Stmt::Expr(e) => syntax::called_attribute(&e.value).map(|a| a.attr.range()),
        _ => None,
    };
    let Some(attr) = attr else {
        return refuse(ctx, "the call is not a plain method call".into());
    };
    let rewrite = Rewrite {
        ops: vec![EditOp::Replace {
            range: attr,
            text: "flush".into(),
        }],
        imports: vec![],
        maybe_unused: vec![],
    };
    let reason = format!(
        "{what}; it becomes `flush()`, so the work is committed once, when `{expr}` exits: \
         other connections see it only then, an error after line {line} now rolls it back too, \
         and the objects it wrote are not expired and reloaded",
        line = Line(line)
    );
    ctx.push(
        Kind::DoubleTransaction,
        Safety::Review,
        reason,
        call,
        Some(rewrite),
    );
}

fn rollbacks(ctx: &mut Ctx, w: &StmtWith, g: &Guarded) {
    let (name, expr) = (g.name, g.expr.as_str());
    let mut all = vec![];
    syntax::walk_stmts(&w.body, &mut all);
    // Rollbacks in a handler that re-raises: the guard rolls back the same error anyway.
    let mut redundant = vec![];
    for s in &all {
        let Stmt::Try(t) = s else { continue };
        if usage::session_calls(&t.finalbody, name, "rollback").len()
            + usage::session_calls(&t.orelse, name, "rollback").len()
            > 0
        {
            continue;
        }
        for h in &t.handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            let reraises = matches!(h.body.last(), Some(Stmt::Raise(r)) if r.exc.is_none());
            let others_touch = h.body.iter().any(|b| {
                !syntax::is_session_call(b, name, "rollback")
                    && usage::stmt_mentions_any(b, &[name])
            });
            let finally_touches =
                !crate::syntax::RefCollector::in_stmts(name, &t.finalbody).is_empty();
            // The handler leaves the block without touching the session again.
            let leaves = matches!(h.body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
                && !others_touch
                && !finally_touches;
            for b in &h.body {
                if syntax::is_session_call(b, name, "rollback") {
                    redundant.push((b.range(), reraises && leaves, leaves));
                }
            }
        }
    }
    for r in usage::session_calls(&w.body, name, "rollback") {
        let line = ctx.line(r.start());
        let found = redundant.iter().find(|(s, _, _)| s.contains_range(r));
        match found.map(|&(stmt, removable, leaves)| (stmt, removable, leaves)) {
            Some((stmt, true, _)) if ctx.owns_lines(stmt) => {
                let rewrite = Rewrite {
                    ops: vec![EditOp::DeleteLines {
                        range: stmt,
                        comment_indent: ctx.indentation(stmt.start()),
                    }],
                    imports: vec![],
                    maybe_unused: vec![],
                };
                ctx.push(
                    Kind::DoubleTransaction,
                    Safety::Safe,
                    format!("the handler re-raises and `{expr}` rolls back the same error on exit"),
                    stmt,
                    Some(rewrite),
                );
            }
            Some((stmt, true, _)) => {
                let reason = format!(
                    "line {} holds several statements",
                    Line(ctx.line(stmt.start()))
                );
                ctx.push(Kind::DoubleTransaction, Safety::Manual, reason, r, None);
            }
            // Inside SQLAlchemy's `begin()` the rollback closes the context's transaction:
            // whatever uses the session next raises (leaving the block right away is fine).
            Some((_, _, true)) if g.begin_form => {}
            _ if g.begin_form => ctx.push(
                Kind::DoubleTransaction,
                Safety::Manual,
                format!(
                    "rollback at line {line} closes the transaction of `{expr}`: a later use of \
                     the session in the block raises InvalidRequestError; restructure by hand",
                    line = Line(line)
                ),
                r,
                None,
            ),
            // The error does not reach the guard (the handler swallows it, or the session is
            // used after the rollback): the rollback is needed, not a duplicate of the
            // guard's. A text search flags these too; removing one makes the guard
            // commit half the work, or fail on the pending rollback.
            _ => {}
        }
    }
}
