//! A session stored on `self` or in a module global and used across calls: one
//! failed flush poisons it for every later caller.
//! Report only: the fix is a design change (one session per operation).

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use super::Ctx;
use crate::finding::{Kind, Safety};

pub(crate) fn check_attribute(ctx: &mut Ctx, stmt: &Stmt, target: &Expr) {
    let r = target.range();
    let text = ctx.text[r.start().to_usize()..r.end().to_usize()].to_string();
    ctx.push(
        Kind::SharedSession,
        Safety::Manual,
        format!(
            "session stored on `{text}` outlives the call: every user shares one session, and one \
             failed flush poisons it for all (PendingRollbackError); open one per operation with \
             the guard"
        ),
        stmt.range(),
        None,
    );
}

pub(crate) fn check_global(ctx: &mut Ctx, stmt: &Stmt, name: &str) {
    ctx.push(
        Kind::SharedSession,
        Safety::Manual,
        format!(
            "module-level session `{name}` is shared by every caller and never closed (connection \
             leak, state shared across requests); open one per operation with the guard"
        ),
        stmt.range(),
        None,
    );
}
