//! Where the guard's import goes when the factory is imported inside the function (usually
//! to avoid an import cycle): beside that local import, never at module level, and in its
//! place when nothing else in the function still uses the factory.

use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextRange};

use super::{Ctx, Scope};
use crate::rewrite::{EditOp, Rewrite};
use crate::syntax::{self, RefCollector};

/// Move `rewrite`'s import next to the function-level import binding `root` (the factory's
/// name), if there is one before `block`.
pub(crate) fn place(ctx: &Ctx, scope: &Scope, root: &str, block: TextRange, rewrite: &mut Rewrite) {
    if scope.is_module || rewrite.imports.len() != 1 {
        return;
    }
    let mut all = vec![];
    syntax::walk_stmts(scope.body, &mut all);
    let Some((stmt, bound)) = all.into_iter().find_map(|s| {
        let names = crate::resolve::import_bindings(s);
        (s.end() <= block.start() && names.iter().any(|(n, _)| n == root)).then_some((s, names))
    }) else {
        return;
    };
    if !ctx.owns_lines(stmt.range()) {
        return;
    }
    let import = rewrite.imports.remove(0).to_statement();
    let used_elsewhere = RefCollector::in_stmts(root, scope.body)
        .iter()
        .any(|r| !block.contains_range(r.range));
    let op = if bound.len() == 1 && !used_elsewhere && !matches!(stmt, Stmt::Import(_)) {
        EditOp::Replace {
            range: stmt.range(),
            text: import,
        }
    } else {
        let at = syntax::line_end_incl(ctx.text, stmt.end());
        EditOp::Insert {
            at,
            text: format!("{}{import}\n", ctx.indentation(stmt.start())),
        }
    };
    rewrite.ops.push(op);
}
