//! `with SessionLocal() as db:` / `with Session(engine) as s:` / `with F.begin() as s:`
//! while the codebase has its own guard: use the guard instead.

use ruff_python_ast::{Expr, Stmt, StmtWith};
use ruff_text_size::{Ranged, TextRange};

use super::manual_block::{commit_reviews, remove_stmt};
use super::usage::{self, Taint};
use super::{guard_checks, join_reasons, Ctx, Scope};
use crate::finding::{Kind, Safety};
use crate::index::FactoryMatch;
use crate::lifecycle::Lifecycle;
use crate::rewrite::{EditOp, Rewrite};
use crate::syntax::{self, RefCollector};
use codemod_core::reason::Line;

/// The raw factory of a `with` statement: (session name, factory, what it does itself).
pub(crate) fn raw_factory<'a>(
    ctx: &Ctx,
    w: &'a StmtWith,
) -> Option<(&'a str, FactoryMatch, Lifecycle)> {
    let first = w.items.first()?;
    let Some(Expr::Name(var)) = first.optional_vars.as_deref() else {
        return None;
    };
    let name = var.id.as_str();
    // `Session = sessionmaker(class_=ContextSession)`: the factory's own `with` is a guard.
    if ctx
        .index
        .guard_call(&first.context_expr, &ctx.imports, &ctx.file.path)
        .is_some()
    {
        return None;
    }
    let (factory, lifecycle) = if let Some(f) =
        ctx.index.begin_factory(&first.context_expr, &ctx.imports)
    {
        if w.items.len() != 1 {
            return None;
        }
        (f, Lifecycle::SQLALCHEMY_BEGIN)
    } else {
        let f = ctx.index.factory_call(&first.context_expr, &ctx.imports)?;
        match w.items.len() {
            1 => (f, Lifecycle::SQLALCHEMY_CLOSE_ONLY),
            2 if w.items[1].optional_vars.is_none()
                && syntax::method_call_expr(&w.items[1].context_expr) == Some((name, "begin")) =>
            {
                (f, Lifecycle::SQLALCHEMY_BEGIN)
            }
            _ => return None,
        }
    };
    Some((name, factory, lifecycle))
}

pub(crate) fn check(ctx: &mut Ctx, scope: &Scope, w: &StmtWith) {
    let Some((name, factory, raw)) = raw_factory(ctx, w) else {
        return;
    };
    if !ctx.index.has_project_guard(factory.is_async) || w.is_async != factory.is_async {
        return;
    }
    if syntax::yields_name(&w.body, name) {
        return;
    }
    let result = plan(ctx, scope, w, name, &factory, raw);
    match result {
        Ok((safety, reason, rewrite)) => ctx.push(
            Kind::RawFactoryWith,
            safety,
            reason,
            w.range(),
            Some(rewrite),
        ),
        Err(reason) if reason.is_empty() => {}
        Err(reason) => ctx.push(
            Kind::RawFactoryWith,
            Safety::Manual,
            reason,
            w.range(),
            None,
        ),
    }
}

fn plan(
    ctx: &Ctx,
    scope: &Scope,
    w: &StmtWith,
    name: &str,
    factory: &FactoryMatch,
    raw: Lifecycle,
) -> Result<(Safety, String, Rewrite), String> {
    if ctx.index.guard_makes_other_sessions(factory) {
        return Err(String::new()); // another factory than the guard's: not this shape
    }
    let guard = ctx
        .index
        .guard_for(factory, &ctx.file.path, ctx.text, &ctx.imports)?;
    if !guard.lifecycle.closes {
        return Err(format!("`{}` does not close the session", guard.expr));
    }
    guard_checks::args_in_scope(ctx, scope, &guard, w.range())?;
    if raw.commits && !guard.lifecycle.commits {
        return Err(format!(
            "`{}` does not commit; the original `.begin()` did",
            guard.expr
        ));
    }
    for r in RefCollector::in_stmts(name, scope.body) {
        if r.range.start() > w.end() {
            return Err(format!(
                "the session is used after the block (line {})",
                Line(ctx.line(r.range.start()))
            ));
        }
    }
    for method in ["rollback", "close", "begin"] {
        if let Some(r) = usage::session_calls(&w.body, name, method).first() {
            return Err(format!(
                "explicit `{method}()` inside the block at line {}",
                Line(ctx.line(r.start()))
            ));
        }
    }
    let taint = Taint::compute(scope.body, name);
    let trailing = usage::trailing_commit(&w.body, name, &taint);
    let mut review = vec![];
    guard_checks::unknown_lifecycle_review(&guard, &mut review);
    if guard.lifecycle.translates {
        review.push(format!(
            "`{}` re-raises errors as another exception type, so callers see a different \
             exception",
            guard.expr
        ));
    }
    if !raw.commits {
        commit_reviews(
            ctx,
            guard.lifecycle.commits,
            &w.body,
            name,
            trailing,
            false,
            &taint,
            &mut review,
        );
    }
    let first = &w.items[0];
    let last = &w.items[w.items.len() - 1];
    let mut rewrite = Rewrite {
        ops: vec![EditOp::Replace {
            range: TextRange::new(first.start(), last.end()),
            text: guard.items(name),
        }],
        imports: guard.import.iter().cloned().collect(),
        maybe_unused: vec![factory
            .callee
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string()],
    };
    if let (Some(k), true) = (trailing, guard.lifecycle.commits) {
        let c: &Stmt = &w.body[k];
        if let Some(why) = ctx.shared_line([c.range()]) {
            return Err(why);
        }
        rewrite.ops.push(remove_stmt(ctx, c, w.body.len() == 1, ""));
    }
    if review.is_empty() {
        let what = if raw.commits {
            "commits, rolls back and closes like `.begin()`"
        } else if trailing.is_some() && guard.lifecycle.commits {
            "commits like the explicit commit and closes like the factory's `with`"
        } else if guard.lifecycle.commits
            && usage::session_calls(&w.body, name, "commit").is_empty()
        {
            // commit_reviews let it through: the block only reads.
            "closes like the factory's `with`; the block only reads (through its calls too), \
             so the guard's commit on exit writes nothing"
        } else if guard.lifecycle.commits {
            "closes like the factory's `with`; after its last commit the block only reads, so \
             the guard's commit on exit writes nothing"
        } else {
            "closes like the factory's `with`"
        };
        Ok((Safety::Safe, format!("`{}` {what}", guard.expr), rewrite))
    } else {
        Ok((Safety::Review, join_reasons(&review), rewrite))
    }
}
