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
    let needed = rewrite.imports.remove(0);
    let import = needed.to_statement();
    let used_elsewhere = RefCollector::in_stmts(root, scope.body)
        .iter()
        .any(|r| !block.contains_range(r.range));
    // `from m import SessionLocal, engine` and the guard comes from `m` too: swap the name.
    if let (Stmt::ImportFrom(f), crate::rewrite::Import::From { module, name }, false) =
        (stmt, &needed, used_elsewhere)
    {
        let written = format!(
            "{}{}",
            ".".repeat(f.level as usize),
            f.module.as_ref().map_or("", |m| m.as_str())
        );
        let alias = f
            .names
            .iter()
            .find(|a| a.name.as_str() == root && a.asname.is_none());
        if let (true, Some(alias)) = (&written == module, alias) {
            rewrite.ops.push(EditOp::Replace {
                range: alias.range(),
                text: name.clone(),
            });
            return;
        }
    }
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
