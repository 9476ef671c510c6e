//! A new session created on every iteration of a loop (medium). Report only: whether
//! the loop wants one transaction or one per item is a decision for a person.

use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextSize};

use super::Ctx;
use crate::finding::{Kind, Safety};
use codemod_core::reason::Line;

pub(crate) fn check(ctx: &mut Ctx, stmt: &Stmt, loop_start: TextSize) {
    let line = ctx.line(loop_start);
    ctx.push(
        Kind::SessionPerIteration,
        Safety::Manual,
        format!(
            "a new session on every iteration of the loop at line {line}: open one session \
             around the loop (one transaction), or use the guard per item if per-item commits \
             are intended",
            line = Line(line)
        ),
        stmt.range(),
        None,
    );
}
