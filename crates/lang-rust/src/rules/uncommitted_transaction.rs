//! `uncommitted-transaction` (RS004): a transaction that is dropped without commit on a path
//! that returns `Ok(..)`: the caller sees success while the work is rolled back. Report only.

use ra_ap_syntax::ast;
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::Ctx;
use crate::finding::{Finding, Kind, Safety};
use crate::flow;
use crate::syntax::{self, range};
use crate::tx::{DropRollback, Tx, UseKind};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    ctx.tracked()
        .filter_map(|tx| finding_for(ctx, tx))
        .collect()
}

fn finding_for(ctx: &Ctx, tx: &Tx) -> Option<Finding> {
    let DropRollback::Yes(desc) = &tx.drop else {
        return None;
    };
    if tx.has(UseKind::InMacro) {
        return None;
    }
    let owner = syntax::body_owner(tx.let_stmt.syntax())?;
    let settles: Vec<SyntaxNode> = tx
        .uses
        .iter()
        .filter(|u| matches!(u.kind, UseKind::Commit | UseKind::Rollback))
        .filter_map(|u| u.call.as_ref().map(|c| c.syntax().clone()))
        .collect();
    let exit = ok_exits(tx, &owner)
        .into_iter()
        .find(|e| !settles.iter().any(|s| settles_before(s, e, &owner)))?;
    let reason = format!(
        "`{}` is dropped without commit on the path returning `Ok` at line {}; drop rolls the work back silently ({desc})",
        tx.name,
        ctx.line(range(&exit).start)
    );
    Some(ctx.finding(
        Kind::UncommittedTransaction,
        tx.let_stmt.syntax(),
        tx.let_range(),
        Safety::Manual,
        reason,
        vec![],
    ))
}

/// `return Ok(..)` and `Ok(..)` values that leave `owner`, after the `let`, in source order.
fn ok_exits(tx: &Tx, owner: &SyntaxNode) -> Vec<SyntaxNode> {
    let after = tx.let_range().end;
    let mut exits = Vec::new();
    for node in tx.scope.syntax().descendants() {
        if range(&node).start < after || syntax::body_owner(&node).as_ref() != Some(owner) {
            continue;
        }
        if let Some(ret) = ast::ReturnExpr::cast(node.clone()) {
            if ret.expr().is_some_and(|e| flow::is_ok_value(&e)) {
                exits.push(node);
            }
        } else if let Some(expr) = ast::Expr::cast(node.clone()).filter(flow::is_ok_value) {
            let leaves = flow::exit_after(&node, owner, None)
                .and_then(|e| e.value)
                .is_some_and(|v| v.syntax() == expr.syntax());
            if leaves
                && node
                    .parent()
                    .is_some_and(|p| p.kind() != SyntaxKind::RETURN_EXPR)
            {
                exits.push(node);
            }
        }
    }
    exits
}

/// True when the commit or rollback `call` may run on the way to `exit`. A call followed
/// right away by leaving the body settles only the exit it leads to.
fn settles_before(call: &SyntaxNode, exit: &SyntaxNode, owner: &SyntaxNode) -> bool {
    let Some(call_expr) = ast::MethodCallExpr::cast(call.clone()) else {
        return true;
    };
    let site = flow::rollback_site(&call_expr);
    let node = site
        .stmt
        .map_or_else(|| site.outer.syntax().clone(), |s| s.syntax().clone());
    match flow::exit_after(&node, owner, None) {
        Some(leaves) => leaves.value.is_some_and(|v| {
            v.syntax() == exit || exit.children().next().is_some_and(|c| &c == v.syntax())
        }),
        None => runs_before(call, exit),
    }
}

/// True when `first` may run before `exit` is reached on the way to it (so it may settle
/// the transaction first). Only "runs on another branch" counts as not before.
fn runs_before(first: &SyntaxNode, exit: &SyntaxNode) -> bool {
    if exit.text_range().contains_range(first.text_range()) {
        return true;
    }
    let Some(common) = exit
        .ancestors()
        .find(|a| a.text_range().contains_range(first.text_range()))
    else {
        return true;
    };
    let child_of = |n: &SyntaxNode| n.ancestors().find(|a| a.parent().as_ref() == Some(&common));
    let (Some(cf), Some(ce)) = (child_of(first), child_of(exit)) else {
        return true;
    };
    if let Some(if_expr) = ast::IfExpr::cast(common.clone()) {
        return if_expr.condition().is_some_and(|c| c.syntax() == &cf);
    }
    if let Some(m) = ast::MatchExpr::cast(common.clone()) {
        return m.expr().is_some_and(|s| s.syntax() == &cf);
    }
    if common.kind() == SyntaxKind::MATCH_ARM_LIST {
        return false;
    }
    range(&cf).start < range(&ce).start
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::findings;
    use crate::{Kind, Safety};

    fn of_kind(src: &str) -> Vec<crate::Finding> {
        findings(src)
            .into_iter()
            .filter(|f| f.kind == Kind::UncommittedTransaction)
            .collect()
    }

    #[test]
    fn early_ok_return_without_commit() {
        let src = "fn f(conn: &mut Connection, items: &[Item]) -> Result<usize> {\n    let tx = conn.transaction()?;\n    if items.is_empty() {\n        return Ok(0);\n    }\n    insert(&tx, items)?;\n    tx.commit()?;\n    Ok(items.len())\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].safety, Safety::Manual);
        assert!(
            f[0].reason.contains("returning `Ok` at line 4"),
            "{}",
            f[0].reason
        );
    }

    #[test]
    fn else_branch_without_commit() {
        let src = "async fn f(pool: &PgPool, ok: bool) -> Result<()> {\n    let mut tx = pool.begin().await?;\n    if ok {\n        tx.commit().await?;\n        Ok(())\n    } else {\n        Ok(())\n    }\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].reason.contains("line 7"), "{}", f[0].reason);
    }

    #[test]
    fn settled_paths_are_not_flagged() {
        for src in [
            "fn f(c: &mut Connection) -> Result<()> {\n    let tx = c.transaction()?;\n    work(&tx)?;\n    tx.commit()?;\n    Ok(())\n}\n",
            "fn f(c: &mut Connection) -> Result<()> {\n    let tx = c.transaction()?;\n    match tx.commit() {\n        Ok(_) => return Ok(()),\n        Err(e) => return Err(e),\n    }\n}\n",
            "fn f(c: &mut Connection) -> Result<()> {\n    let tx = c.transaction()?;\n    Ok(tx.commit()?)\n}\n",
            "fn f(c: &mut Connection) -> Result<Transaction<'_>> {\n    let tx = c.transaction()?;\n    Ok(tx)\n}\n",
            "fn f(c: &mut Connection) -> Result<()> {\n    let mut tx = c.transaction()?;\n    tx.set_drop_behavior(DropBehavior::Commit);\n    Ok(())\n}\n",
            "fn f(c: &mut Connection) -> Result<()> {\n    let tx = c.transaction()?;\n    tx.execute(\"x\", [])?;\n    Err(Error::Nope)\n}\n",
        ] {
            assert!(of_kind(src).is_empty(), "{src}");
        }
    }
}
