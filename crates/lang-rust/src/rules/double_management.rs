//! `double-management` (RS005): `commit()` / `rollback()` on the transaction a closure API
//! already manages (`conn.transaction(|tx| ..)`, sea-orm `db.transaction(|txn| ..)`), or a
//! second begin on a connection whose transaction is still open. Report only.

use ra_ap_syntax::ast::{self, HasArgList, HasName};
use ra_ap_syntax::AstNode;

use super::Ctx;
use crate::drivers;
use crate::finding::{Finding, Kind, Safety};
use crate::syntax::{self, method_name, range};
use crate::tx::{Tx, UseKind};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    let mut out = closure_api_findings(ctx);
    for tx in ctx
        .tracked()
        .filter(|t| drivers::begins_on_connection(&t.method))
    {
        out.extend(nested_begin(ctx, tx));
    }
    out
}

/// A closure API call and the name its closure gives the transaction.
fn closure_api(call: &ast::MethodCallExpr) -> Option<(ast::ClosureExpr, String)> {
    if !drivers::is_closure_api(&method_name(call)) {
        return None;
    }
    let args: Vec<ast::Expr> = call.arg_list()?.args().collect();
    let [ast::Expr::ClosureExpr(closure)] = args.as_slice() else {
        return None;
    };
    let param = closure.param_list()?.params().next()?.pat()?;
    let ast::Pat::IdentPat(p) = param else {
        return None;
    };
    Some((closure.clone(), p.name()?.text().to_string()))
}

fn closure_api_findings(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for call in ctx
        .file
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
    {
        let Some((closure, name)) = closure_api(&call) else {
            continue;
        };
        let receiver = call
            .receiver()
            .map(|r| r.syntax().text().to_string())
            .unwrap_or_default();
        for inner in closure
            .syntax()
            .descendants()
            .filter_map(ast::MethodCallExpr::cast)
        {
            let method = method_name(&inner);
            let on_param = inner
                .receiver()
                .and_then(|r| syntax::path_ident(&r))
                .as_deref()
                == Some(name.as_str());
            if !on_param || !matches!(method.as_str(), "commit" | "rollback") {
                continue;
            }
            let reason = format!("`{name}.{method}()` is called inside the closure passed to `{receiver}.transaction(..)`, which already commits on `Ok` and rolls back on `Err`");
            out.push(ctx.finding(
                Kind::DoubleManagement,
                inner.syntax(),
                range(inner.syntax()),
                Safety::Manual,
                reason,
                vec![],
            ));
        }
    }
    out
}

/// Begins on `tx`'s receiver after `tx` was begun and before it is committed or rolled back.
fn nested_begin(ctx: &Ctx, tx: &Tx) -> Vec<Finding> {
    let start = tx.let_range().end;
    let settled = tx
        .uses
        .iter()
        .filter(|u| matches!(u.kind, UseKind::Commit | UseKind::Rollback))
        .map(|u| u.offset)
        .min()
        .unwrap_or(usize::MAX);
    let owner = syntax::body_owner(tx.let_stmt.syntax());
    let mut out = Vec::new();
    for call in tx
        .scope
        .syntax()
        .descendants()
        .filter_map(ast::MethodCallExpr::cast)
    {
        let at = range(call.syntax()).start;
        let same_receiver = call
            .receiver()
            .is_some_and(|r| r.syntax().text() == tx.receiver.as_str());
        if at < start
            || at >= settled
            || !same_receiver
            || !drivers::begins_on_connection(&method_name(&call))
        {
            continue;
        }
        if syntax::body_owner(call.syntax()) != owner {
            continue;
        }
        let reason = format!(
            "a second transaction is begun on `{}` while the transaction from line {} is still open",
            tx.receiver,
            ctx.line(tx.let_range().start)
        );
        out.push(ctx.finding(
            Kind::DoubleManagement,
            call.syntax(),
            range(call.syntax()),
            Safety::Manual,
            reason,
            vec![],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::findings_of;
    use crate::{Kind, Safety};

    fn of_kind(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::DoubleManagement)
    }

    #[test]
    fn commit_inside_closure_api() {
        let src = "async fn f(db: &DatabaseConnection) -> Result<(), DbErr> {\n    db.transaction::<_, (), DbErr>(|txn| {\n        Box::pin(async move {\n            insert(txn).await?;\n            txn.commit().await?;\n            Ok(())\n        })\n    })\n    .await?;\n    Ok(())\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].line, f[0].safety), (5, Safety::Manual));
        assert!(f[0].reason.starts_with(
            "`txn.commit()` is called inside the closure passed to `db.transaction(..)`"
        ));
    }

    #[test]
    fn nested_begin_on_same_connection() {
        let src = "fn f(conn: &Connection) -> Result<()> {\n    let outer = conn.unchecked_transaction()?;\n    let inner = conn.unchecked_transaction()?;\n    inner.commit()?;\n    outer.commit()\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].line, 3);
        assert!(f[0].reason.contains("from line 2"));
    }

    #[test]
    fn sequential_begins_and_other_work_are_fine() {
        for src in [
            "fn f(conn: &mut Connection) -> Result<()> {\n    let a = conn.transaction()?;\n    a.commit()?;\n    let b = conn.transaction()?;\n    b.commit()\n}\n",
            "async fn f(pool: &PgPool) -> Result<()> {\n    let a = pool.begin().await?;\n    let b = pool.begin().await?;\n    a.commit().await?;\n    b.commit().await\n}\n",
            "fn f(conn: &mut PgConnection) -> QueryResult<()> {\n    conn.transaction(|conn| {\n        insert(conn)?;\n        Ok(())\n    })\n}\n",
        ] {
            assert!(of_kind(src).is_empty(), "{src}");
        }
    }
}
