//! Checks every rewrite into a guard makes, whichever rule plans it: the guard's arguments
//! can be passed where the block is, and its lifecycle is known rather than assumed.

use ruff_python_ast::Expr;
use ruff_text_size::TextRange;

use super::{Ctx, Scope};
use crate::index::BlockGuard;
use crate::syntax::{self, RefCollector};

/// A guard called with arguments (`session_scope(hass=self.hass)`, as every use in the
/// tree writes it): each name the arguments use must be bound where the block is (a
/// parameter, a name assigned before it, or a module-level name), else there is nothing
/// to pass.
pub(crate) fn args_in_scope(
    ctx: &Ctx,
    scope: &Scope,
    guard: &BlockGuard,
    block: TextRange,
) -> Result<(), String> {
    let Ok(parsed) = ruff_python_parser::parse_expression(&guard.expr) else {
        return Ok(());
    };
    let Expr::Call(call) = parsed.expr() else {
        return Ok(());
    };
    let mut names = vec![];
    for e in call
        .arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|k| &k.value))
    {
        names.extend(syntax::names_in(e));
    }
    for name in names {
        let assigned_before = RefCollector::in_stmts(&name, scope.body)
            .iter()
            .any(|r| r.kind == syntax::RefKind::Store && r.range.end() <= block.start());
        let module_level = !matches!(
            ctx.imports.root_binding(&name),
            crate::resolve::RootBinding::Unbound
        );
        if !(scope.params.contains(&name) || assigned_before || module_level) {
            return Err(format!(
                "`{}` needs `{name}`, which is not in scope here",
                guard.expr
            ));
        }
    }
    Ok(())
}

/// A config guard whose lifecycle is neither derived nor declared: nothing about it is
/// assumed, so no rewrite into it is safe.
pub(crate) fn unknown_lifecycle_review(guard: &BlockGuard, review: &mut Vec<String>) {
    if !guard.lifecycle_known {
        review.push(format!(
            "lifecycle of `{}` is unknown: set guard-lifecycle",
            guard.expr
        ));
    }
}
