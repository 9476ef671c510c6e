//! What removing rollbacks leaves of the transaction's `let` binding. A binding whose only
//! use was the removed rollback would be an unused variable, and a `mut` only the rollback
//! needed (a rollback taking `&mut self`) an unused `mut`: both become compiler warnings
//! in the rewritten code. The edits here adjust the `let` pattern so that they do not.

use std::collections::HashMap;
use std::ops::Range;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextSize};

use super::removal::Site;
use super::Ctx;
use crate::finding::TextEdit;
use crate::syntax::{self, method_name, range};
use crate::tx::{self, Tx, TxUse, UseKind};

/// The edit to `tx`'s `let` pattern once the rollbacks at `sites` are removed by `edits`:
/// `let tx` -> `let _tx` when no use is left, `let mut tx` -> `let tx` when no use left
/// needs `mut`. None when the pattern stays as it is.
///
/// The rename is `_tx`, never `_`: `let _ = ..` would drop the transaction (and roll it
/// back) at once, while `_tx` is still a binding that lives, like `tx`, to the end of its
/// scope, so the transaction drops exactly where it did.
pub fn adjust(ctx: &Ctx, tx: &Tx, sites: &[Site], edits: &[TextEdit]) -> Option<TextEdit> {
    if tx.has(UseKind::InMacro) {
        // A mention inside a macro's tokens is not seen as a use: leave the name alone.
        return None;
    }
    let Some(ast::Pat::IdentPat(pat)) = tx.let_stmt.pat() else {
        return None;
    };
    let name = pat.name()?;
    let removed = removed_ranges(sites, edits);
    let left: Vec<&TxUse> = tx
        .uses
        .iter()
        .filter(|u| !removed.iter().any(|r| r.contains(&u.offset)))
        .collect();
    let rename = left.is_empty() && !name.text().starts_with('_');
    // What the methods take is looked up only for a `mut` binding (a walk over the file).
    let drop_mut = pat.mut_token().is_some() && {
        let receivers = Receivers::of(ctx, tx);
        left.iter().all(|u| !use_needs_mut(ctx, u, &receivers))
    };
    if !rename && !drop_mut {
        return None;
    }
    let name_range = range(name.syntax());
    let start = match pat.mut_token() {
        Some(m) if drop_mut => usize::from(m.text_range().start()),
        _ => name_range.start,
    };
    let replacement = if rename {
        format!("_{}", name.text())
    } else {
        name.text().to_string()
    };
    Some(TextEdit {
        range: start..name_range.end,
        replacement,
    })
}

/// Where the removal takes uses away: what is deleted, and the rollbacks themselves (a
/// replaced `match` keeps its success arm's text but not the rollback's).
fn removed_ranges(sites: &[Site], edits: &[TextEdit]) -> Vec<Range<usize>> {
    edits
        .iter()
        .filter(|e| e.replacement.is_empty())
        .map(|e| e.range.clone())
        .chain(sites.iter().map(|s| range(&s.node)))
        .collect()
}

/// True when the use may need the binding to be `mut`. Anything not known to be fine is.
fn use_needs_mut(ctx: &Ctx, u: &TxUse, receivers: &Receivers) -> bool {
    match u.kind {
        UseKind::Commit => receivers.needs_mut("commit"),
        // A rollback this finding does not remove: rusqlite's `Savepoint::rollback` takes
        // `&mut self`, and another finding may be the one that removes it.
        UseKind::Rollback | UseKind::SetDropBehavior | UseKind::Escape | UseKind::InMacro => true,
        UseKind::Borrow => match &u.call {
            Some(call) => receivers.needs_mut(&method_name(call)),
            None => !is_shared_borrow(ctx, u.offset),
        },
    }
}

/// `&tx` or `&*tx`: a shared borrow, which needs no `mut`.
fn is_shared_borrow(ctx: &Ctx, offset: usize) -> bool {
    let Some(path_expr) = path_expr_at(ctx, offset) else {
        return false;
    };
    let mut cur = path_expr;
    if let Some(deref) = cur
        .parent()
        .and_then(ast::PrefixExpr::cast)
        .filter(|p| p.op_kind() == Some(ast::UnaryOp::Deref))
    {
        cur = deref.syntax().clone();
    }
    cur.parent()
        .and_then(ast::RefExpr::cast)
        .is_some_and(|r| r.mut_token().is_none() && r.raw_token().is_none())
}

fn path_expr_at(ctx: &Ctx, offset: usize) -> Option<SyntaxNode> {
    let token = ctx
        .file
        .syntax()
        .token_at_offset(TextSize::from(u32::try_from(offset).ok()?))
        .right_biased()?;
    token
        .parent_ancestors()
        .find(|n| n.kind() == SyntaxKind::PATH_EXPR)
}

/// What the transaction's methods take as `self`, as far as the file shows.
enum Receivers {
    /// A type defined in this file: method name -> takes `&mut self`.
    Project(HashMap<String, bool>),
    /// A driver's transaction: only `commit` (by value in every known driver) is known.
    Driver,
    /// Not resolvable (several begin functions of one name).
    Unknown,
}

impl Receivers {
    fn of(ctx: &Ctx, tx: &Tx) -> Receivers {
        let returned: Vec<Option<String>> = ctx
            .file
            .syntax()
            .descendants()
            .filter_map(ast::Fn::cast)
            .filter(|f| f.name().is_some_and(|n| n.text() == tx.method.as_str()))
            .map(|f| {
                let ty = f.ret_type()?.ty()?;
                syntax::last_type_name(&tx::unwrap_type(&ty))
            })
            .collect();
        let Some(first) = returned.first() else {
            return Receivers::Driver;
        };
        if returned.iter().any(|t| t != first) {
            return Receivers::Unknown;
        }
        match first {
            Some(ty) if struct_defined(ctx, ty) => Receivers::Project(self_params(ctx, ty)),
            Some(_) => Receivers::Driver,
            None => Receivers::Unknown,
        }
    }

    fn needs_mut(&self, method: &str) -> bool {
        match self {
            Receivers::Project(methods) => methods.get(method).copied().unwrap_or(true),
            Receivers::Driver => method != "commit",
            Receivers::Unknown => true,
        }
    }
}

fn struct_defined(ctx: &Ctx, name: &str) -> bool {
    ctx.file
        .syntax()
        .descendants()
        .filter_map(ast::Struct::cast)
        .any(|s| s.name().is_some_and(|n| n.text() == name))
}

/// The methods of the impl blocks of `ty` in this file: name -> takes `&mut self` (or a
/// typed `self` this does not read).
fn self_params(ctx: &Ctx, ty: &str) -> HashMap<String, bool> {
    let mut methods: HashMap<String, bool> = HashMap::new();
    let impls = ctx
        .file
        .syntax()
        .descendants()
        .filter_map(ast::Impl::cast)
        .filter(|i| {
            i.self_ty()
                .and_then(|t| syntax::last_type_name(&t))
                .as_deref()
                == Some(ty)
        });
    for imp in impls {
        let fns = imp
            .assoc_item_list()
            .into_iter()
            .flat_map(|l| l.assoc_items())
            .filter_map(|item| match item {
                ast::AssocItem::Fn(f) => Some(f),
                _ => None,
            });
        for f in fns {
            let (Some(name), Some(param)) = (f.name(), f.param_list().and_then(|p| p.self_param()))
            else {
                continue;
            };
            let takes_mut = param.ty().is_some()
                || (param.amp_token().is_some() && param.mut_token().is_some());
            *methods.entry(name.text().to_string()).or_default() |= takes_mut;
        }
    }
    methods
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::{findings, rewritten};
    use crate::Kind;

    #[test]
    fn mut_only_a_savepoint_rollback_needed_goes() {
        // rusqlite's `Savepoint::rollback` takes `&mut self`; `commit` takes it by value.
        let src = "fn f(tx: &mut Transaction) -> Result<()> {\n    let mut sp = tx.savepoint()?;\n    if let Err(e) = insert(&sp) {\n        sp.rollback()?;\n        return Err(e);\n    }\n    sp.commit()\n}\n";
        let f = findings(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, Kind::ManualTransaction);
        let out = rewritten(src);
        assert!(
            out.contains("    let sp = tx.savepoint()?;\n    if let Err(e) = insert(&sp) {\n        return Err(e);\n"),
            "{out}"
        );
    }

    #[test]
    fn mut_stays_when_a_use_left_may_need_it() {
        for use_left in [
            "sp.execute(\"x\", [])?;",
            "insert(&mut sp)?;",
            "insert(&mut *sp)?;",
            "sp.set_drop_behavior(DropBehavior::Rollback);",
        ] {
            let src = format!("fn f(tx: &mut Transaction) -> Result<()> {{\n    let mut sp = tx.savepoint()?;\n    {use_left}\n    if let Err(e) = insert(&sp) {{\n        sp.rollback()?;\n        return Err(e);\n    }}\n    sp.commit()\n}}\n");
            let out = rewritten(&src);
            assert!(out.contains("let mut sp = tx.savepoint()?;"), "{out}");
            assert!(!out.contains("sp.rollback()"), "{out}");
        }
    }

    #[test]
    fn project_type_methods_are_read_from_their_impl() {
        let ty = |execute_self: &str| {
            format!("struct StoreTx<'c> {{ conn: &'c Connection }}\nimpl StoreTx<'_> {{\n    fn execute(&{execute_self}self, sql: &str) -> Result<usize> {{ todo!() }}\n    fn commit(mut self) -> Result<()> {{ todo!() }}\n    fn rollback(&mut self) -> Result<()> {{ todo!() }}\n}}\nimpl Drop for StoreTx<'_> {{ fn drop(&mut self) {{ let _ = self.rollback(); }} }}\nfn begin_transaction(c: &Connection) -> Result<StoreTx<'_>> {{ todo!() }}\nfn f(c: &Connection) -> Result<()> {{\n    let mut tx = begin_transaction(c)?;\n    if tx.execute(\"x\")? == 0 {{\n        let _ = tx.rollback();\n        return Err(Error::Missing);\n    }}\n    tx.commit()\n}}\n")
        };
        let out = rewritten(&ty(""));
        assert!(
            out.contains("    let tx = begin_transaction(c)?;\n"),
            "{out}"
        );
        let out = rewritten(&ty("mut "));
        assert!(
            out.contains("    let mut tx = begin_transaction(c)?;\n"),
            "{out}"
        );
    }

    #[test]
    fn a_binding_left_unused_is_renamed_not_dropped() {
        let src = "async fn f(conn: &Conn) {\n    let mut tx = conn.begin().await.unwrap();\n    tx.rollback().await.unwrap();\n}\n";
        let f = findings(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].kind, Kind::RedundantRollback);
        assert_eq!(
            rewritten(src),
            "async fn f(conn: &Conn) {\n    let _tx = conn.begin().await.unwrap();\n}\n"
        );
    }

    #[test]
    fn no_rename_while_another_finding_keeps_a_use() {
        // Two findings each remove one rollback; either may be applied alone.
        let src = "fn f(c: &mut Connection, bad: bool) {\n    let tx = c.transaction().unwrap();\n    if bad {\n        let _ = tx.rollback();\n        return;\n    }\n    let _ = tx.rollback();\n}\n";
        let f = findings(src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|f| f.edits.len() == 1), "{f:?}");
        assert!(rewritten(src).contains("    let tx = c.transaction().unwrap();\n"));
    }

    #[test]
    fn macro_mentions_keep_the_name() {
        let src = "fn f(c: &mut Connection) {\n    let tx = c.transaction().unwrap();\n    log!(\"{:?}\", tx);\n    let _ = tx.rollback();\n}\n";
        assert!(!rewritten(src).contains("_tx"));
    }
}
