//! `s.commit()` / `s.rollback()` inside a guard that already commits and rolls back
//! (seed 004's CRITICAL). A trailing commit is redundant; a mid-body commit is a checkpoint
//! and stays a human decision.

use ruff_python_ast::{self as ast, Expr, Stmt, StmtWith};
use ruff_text_size::Ranged;

use super::manual_block::{commit_reviews, remove_stmt};
use super::raw_factory_with::raw_factory;
use super::usage::{self, Taint};
use super::{join_reasons, Ctx, Scope};
use crate::finding::{Kind, Safety};
use crate::lifecycle::Lifecycle;
use crate::rewrite::{EditOp, Rewrite};
use crate::syntax;

/// The guard a `with` enters and the session name it binds.
fn guarded<'a>(ctx: &Ctx, w: &'a StmtWith) -> Option<(&'a str, Lifecycle, String)> {
    if let Some((name, factory, raw)) = raw_factory(ctx, w) {
        // A raw `.begin()` is shape 3's business when the codebase has a guard.
        if raw.commits && !ctx.index.has_project_guard(factory.is_async) {
            let text = &ctx.text[w.items[0].context_expr.range().start().to_usize()
                ..w.items[0].context_expr.range().end().to_usize()];
            return Some((name, raw, text.to_string()));
        }
        return None;
    }
    let first = w.items.first()?;
    let Some(Expr::Name(var)) = first.optional_vars.as_deref() else {
        return None;
    };
    let lifecycle = ctx.index.guard_call(&first.context_expr)?;
    let r = first.context_expr.range();
    Some((
        var.id.as_str(),
        lifecycle,
        ctx.text[r.start().to_usize()..r.end().to_usize()].to_string(),
    ))
}

pub(crate) fn check(ctx: &mut Ctx, scope: &Scope, w: &StmtWith) {
    let Some((name, guard, expr)) = guarded(ctx, w) else {
        return;
    };
    let taint = Taint::compute(scope.body, name);
    if guard.commits {
        commits(ctx, w, name, &expr, &taint);
    }
    if guard.rolls_back() {
        rollbacks(ctx, w, name, &expr);
    }
}

fn commits(ctx: &mut Ctx, w: &StmtWith, name: &str, expr: &str, taint: &Taint) {
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
                    format!("line {line} holds several statements"),
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
            let line = ctx.line(r.start());
            let top = w.body.iter().position(|s| s.range() == stmt_range);
            let reads_after =
                top.is_some_and(|k| usage::is_read_only(&w.body[k + 1..], name, taint));
            let reason = if reads_after {
                format!(
                    "commit at line {line} inside `{expr}` is followed only by reads of what it \
                     wrote: removing it changes what they see; keep it or use `flush()`"
                )
            } else {
                format!(
                    "checkpoint commit at line {line} inside `{expr}`, which commits on exit: it \
                     commits part of the work early; removing it makes the block all-or-nothing"
                )
            };
            ctx.push(Kind::DoubleTransaction, Safety::Manual, reason, r, None);
        }
    }
}

fn rollbacks(ctx: &mut Ctx, w: &StmtWith, name: &str, expr: &str) {
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
            for b in &h.body {
                if syntax::is_session_call(b, name, "rollback") {
                    redundant.push((b.range(), reraises && !others_touch && !finally_touches));
                }
            }
        }
    }
    for r in usage::session_calls(&w.body, name, "rollback") {
        let line = ctx.line(r.start());
        match redundant.iter().find(|(s, _)| s.contains_range(r)) {
            Some((stmt, true)) if ctx.owns_lines(*stmt) => {
                let rewrite = Rewrite {
                    ops: vec![EditOp::DeleteLines {
                        range: *stmt,
                        comment_indent: ctx.indentation(stmt.start()),
                    }],
                    imports: vec![],
                    maybe_unused: vec![],
                };
                ctx.push(
                    Kind::DoubleTransaction,
                    Safety::Safe,
                    format!("the handler re-raises and `{expr}` rolls back the same error on exit"),
                    *stmt,
                    Some(rewrite),
                );
            }
            _ => ctx.push(
                Kind::DoubleTransaction,
                Safety::Manual,
                format!(
                    "rollback at line {line} inside `{expr}`, which rolls back on error: here the \
                     error does not reach the guard (or the session is used afterwards), so the \
                     rollback is not redundant; restructure by hand"
                ),
                r,
                None,
            ),
        }
    }
}
