//! `uncommitted-transaction` (RS004): a transaction that is dropped without commit on a path
//! that returns `Ok(..)`: the caller sees success while the work is rolled back. Report only.
//!
//! A read transaction is not reported: never committed anywhere, and every use a query
//! whose SQL text only reads (or an explicit rollback). Its rollback on drop discards
//! nothing; it is there for a consistent view. A transaction that reaches any other call
//! (a helper it is passed to, SQL not written out) may write, and stays reported.

use ra_ap_syntax::ast::{self, HasArgList};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode, TextSize};

use super::Ctx;
use crate::finding::{Finding, Kind, Safety};
use crate::flow;
use crate::syntax::{self, range};
use crate::tx::{DropRollback, Tx, TxUse, UseKind};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    ctx.tracked()
        .filter_map(|tx| finding_for(ctx, tx))
        .collect()
}

fn finding_for(ctx: &Ctx, tx: &Tx) -> Option<Finding> {
    let DropRollback::Yes(desc) = &tx.drop else {
        return None;
    };
    if tx.has(UseKind::InMacro) || is_read_transaction(ctx, tx) {
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

/// Never committed, and only read through: every use reads (at least one) or rolls back.
fn is_read_transaction(ctx: &Ctx, tx: &Tx) -> bool {
    let mut reads = 0;
    for u in &tx.uses {
        match u.kind {
            UseKind::Rollback => {}
            UseKind::Borrow if use_reads(ctx, u) => reads += 1,
            _ => return false,
        }
    }
    reads > 0
}

/// `tx.query_row("SELECT ..", ..)`, or the transaction as the executor of a query built
/// from reading SQL text (`query_scalar("SELECT ..").fetch_one(&tx)`, `&mut *tx`).
fn use_reads(ctx: &Ctx, u: &TxUse) -> bool {
    if let Some(call) = &u.call {
        return first_arg_sql(call.arg_list()).is_some_and(|sql| syntax::sql_only_reads(&sql));
    }
    let Some(mut arg) = path_expr_at(ctx, u.offset) else {
        return false;
    };
    while let Some(p) = arg.parent().filter(|p| {
        ast::RefExpr::can_cast(p.kind())
            || ast::PrefixExpr::cast(p.clone())
                .is_some_and(|e| e.op_kind() == Some(ast::UnaryOp::Deref))
    }) {
        arg = p;
    }
    let Some(call) = arg
        .parent()
        .filter(|p| ast::ArgList::can_cast(p.kind()))
        .and_then(|l| l.parent())
        .and_then(ast::MethodCallExpr::cast)
    else {
        return false;
    };
    query_sql(call.receiver()).is_some_and(|sql| syntax::sql_only_reads(&sql))
}

/// The SQL text a query builder chain starts from: `query("..")`, `query_as::<_, T>("..")`,
/// `sqlx::query!("..")`, through `.bind(..)` and the like.
fn query_sql(mut expr: Option<ast::Expr>) -> Option<String> {
    loop {
        match expr? {
            ast::Expr::MethodCallExpr(m) => expr = m.receiver(),
            ast::Expr::CallExpr(c) => return first_arg_sql(c.arg_list()),
            ast::Expr::MacroExpr(m) => {
                let first = m
                    .macro_call()?
                    .token_tree()?
                    .syntax()
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == SyntaxKind::STRING)?;
                return syntax::string_token_value(&first);
            }
            _ => return None,
        }
    }
}

fn first_arg_sql(args: Option<ast::ArgList>) -> Option<String> {
    syntax::string_value(&args?.args().next()?)
}

fn path_expr_at(ctx: &Ctx, offset: usize) -> Option<SyntaxNode> {
    let at = TextSize::from(u32::try_from(offset).ok()?);
    let token = ctx.file.syntax().token_at_offset(at).right_biased()?;
    token
        .parent_ancestors()
        .find(|n| n.kind() == SyntaxKind::PATH_EXPR)
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
    use crate::rules::test_util::findings_of;
    use crate::{Kind, Safety};

    fn of_kind(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::UncommittedTransaction)
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
    fn read_transactions_are_not_flagged() {
        for src in [
            "fn f(conn: &mut Connection, id: i64) -> Result<Option<String>> {\n    let tx = conn.transaction()?;\n    let n: i64 = tx.query_row(\"SELECT count(*) FROM t WHERE id = ?1\", [id], |r| r.get(0))?;\n    if n == 0 {\n        return Ok(None);\n    }\n    let mut q = tx.prepare(\"SELECT v FROM t WHERE id = ?1\")?;\n    let v = q.query_row([id], |r| r.get(0))?;\n    Ok(Some(v))\n}\n",
            "async fn f(pool: &PgPool) -> Result<i64> {\n    let mut tx = pool.begin().await?;\n    let v: i64 = sqlx::query_scalar(\"SELECT max(id) FROM t\").fetch_one(&mut *tx).await?;\n    let w = sqlx::query_as::<_, Row>(\"SELECT * FROM u WHERE id = $1\").bind(v).fetch_one(&mut *tx).await?;\n    Ok(w.id)\n}\n",
        ] {
            assert!(of_kind(src).is_empty(), "{src}");
        }
    }

    #[test]
    fn writing_or_opaque_uncommitted_transactions_are_flagged() {
        for body in [
            "tx.execute(\"INSERT INTO t VALUES (1)\", [])?;",
            "tx.query_row(\"SELECT v FROM t FOR UPDATE\", [], |r| r.get::<_, i64>(0))?;",
            "tx.execute(sql, [])?;",
            "insert_all(&tx)?;",
            "tx.query_row(\"SELECT 1\", [], |r| r.get::<_, i64>(0))?;\n    insert_all(&tx)?;",
        ] {
            let src = format!("fn f(conn: &mut Connection, sql: &str) -> Result<()> {{\n    let tx = conn.transaction()?;\n    {body}\n    Ok(())\n}}\n");
            assert_eq!(of_kind(&src).len(), 1, "{src}");
        }
        // Committed on one path, not on the other: reported even though it only reads.
        let src = "fn f(conn: &mut Connection, done: bool) -> Result<()> {\n    let tx = conn.transaction()?;\n    tx.query_row(\"SELECT 1\", [], |r| r.get::<_, i64>(0))?;\n    if done {\n        return Ok(());\n    }\n    tx.commit()?;\n    Ok(())\n}\n";
        assert_eq!(of_kind(src).len(), 1);
    }

    #[test]
    fn a_borrowed_transaction_is_not_ours_to_commit() {
        let src = "struct Txn<'t> { txn: Option<rusqlite::Transaction<'t>> }\nimpl<'t> Txn<'t> {\n    fn get_txn(&self) -> std::result::Result<&rusqlite::Transaction<'t>, Error> {\n        self.txn.as_ref().ok_or(Error::Done)\n    }\n    fn set_task(&mut self, id: i64) -> Result<()> {\n        let t = self.get_txn()?;\n        t.execute(\"UPDATE tasks SET done = 1 WHERE id = ?\", [id])?;\n        Ok(())\n    }\n}\n";
        assert!(of_kind(src).is_empty());
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
