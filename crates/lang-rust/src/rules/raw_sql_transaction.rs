//! `raw-sql-transaction` (RS003): `BEGIN` / `COMMIT` / `ROLLBACK` sent as SQL text by hand
//! (`conn.execute("BEGIN", [])`, `execute_batch("BEGIN IMMEDIATE")`,
//! `sqlx::query("COMMIT").execute(..)`). Reported; a diesel `BEGIN` … `COMMIT` block that
//! moves into a closure cleanly is one finding rewritten into diesel's
//! `conn.transaction(|conn| ..)` (`diesel_closure.rs`). Code that implements a transaction
//! type or helper (a `fn commit` issuing `COMMIT`) is not flagged.

use ra_ap_syntax::ast::{self, HasArgList};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::diesel_closure::{self, BlockRewrite};
use super::Ctx;
use crate::drivers::{self, SqlCall};
use crate::finding::{Finding, Kind, Safety};
use crate::syntax::{self, method_name, range};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    let blocks: Vec<BlockRewrite> = diesel_closure::plan(ctx)
        .into_iter()
        .filter(|b| !syntax::in_transaction_impl(&b.anchor))
        .collect();
    let mut out = Vec::new();
    // The driver in use is read from the crates the file names (`use tiberius::..`).
    let crates = syntax::root_path_names(&ctx.file);
    for node in ctx.file.syntax().descendants() {
        let Some((verb, advice)) = raw_sql(&node, &crates) else {
            continue;
        };
        let at = range(&node).start;
        if syntax::in_transaction_impl(&node) || blocks.iter().any(|b| b.range.contains(&at)) {
            continue;
        }
        let reason = format!("`{verb}` is sent as SQL text by hand; {advice}");
        out.push(ctx.finding(
            Kind::RawSqlTransaction,
            &node,
            range(&node),
            Safety::Manual,
            reason,
            vec![],
        ));
    }
    for b in blocks {
        out.push(ctx.finding(
            Kind::RawSqlTransaction,
            &b.anchor,
            b.range,
            Safety::Review,
            b.reason,
            b.edits,
        ));
    }
    out
}

/// The verb and the advice to give when `node` sends transaction-control SQL.
pub(super) fn raw_sql(node: &SyntaxNode, crates: &[String]) -> Option<(&'static str, String)> {
    // The name is checked first: most calls send no SQL, and reading a literal costs more.
    if let Some(call) = ast::MethodCallExpr::cast(node.clone()) {
        let name = method_name(&call);
        drivers::sends_sql(&name, SqlCall::Method).then_some(())?;
        let sql = syntax::string_value(&call.arg_list()?.args().next()?)?;
        let verb = syntax::transaction_sql_verb(&sql)?;
        return Some((verb, drivers::sql_advice(&name, SqlCall::Method, crates)?));
    }
    if let Some(call) = ast::CallExpr::cast(node.clone()) {
        let name = syntax::path_last(&call.expr()?)?;
        drivers::sends_sql(&name, SqlCall::Function).then_some(())?;
        let sql = syntax::string_value(&call.arg_list()?.args().next()?)?;
        let verb = syntax::transaction_sql_verb(&sql)?;
        return Some((verb, drivers::sql_advice(&name, SqlCall::Function, crates)?));
    }
    let mac = ast::MacroCall::cast(node.clone())?;
    let name = mac.path()?.segment()?.name_ref()?.text().to_string();
    drivers::sends_sql(&name, SqlCall::Function).then_some(())?;
    // The macro's tokens are not parsed; its first string literal is the query.
    let first = mac
        .token_tree()?
        .syntax()
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::STRING)?;
    let verb = syntax::transaction_sql_verb(&syntax::string_token_value(&first)?)?;
    Some((verb, drivers::sql_advice(&name, SqlCall::Function, crates)?))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::findings_of;
    use crate::{Kind, Safety};

    fn raw(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::RawSqlTransaction)
    }

    #[test]
    fn flags_hand_written_begin_commit_rollback() {
        let src = "fn f(conn: &Connection) -> Result<()> {\n    conn.execute_batch(\"BEGIN IMMEDIATE;\")?;\n    conn.execute(\"insert into t values (1)\", [])?;\n    conn.execute(\"commit\", [])?;\n    Ok(())\n}\n";
        let f = raw(src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].line, f[0].safety), (2, Safety::Manual));
        assert_eq!(f[0].reason, "`BEGIN` is sent as SQL text by hand; use rusqlite's `conn.transaction()` and `tx.commit()` instead");
        assert!(f[1].reason.starts_with("`COMMIT`"));
        assert!(f.iter().all(|f| f.edits.is_empty()));
    }

    #[test]
    fn flags_sqlx_query_and_macro() {
        let src = "async fn f(c: &mut PgConnection) -> Result<()> {\n    sqlx::query(\"START TRANSACTION\").execute(&mut *c).await?;\n    sqlx::query!(\"ROLLBACK\").execute(&mut *c).await?;\n    Ok(())\n}\n";
        let f = raw(src);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].reason.contains("sqlx's `pool.begin().await`"));
        assert!(f[1].reason.starts_with("`ROLLBACK`"));
    }

    #[test]
    fn the_reason_names_the_driver_the_file_uses() {
        let body = "    async fn execute(&mut self, queries: &[&str]) -> Result<usize, Error> {\n        self.simple_query(\"BEGIN TRAN T1;\").await?;\n        for q in queries {\n            self.simple_query(*q).await?;\n        }\n        self.simple_query(\"COMMIT TRAN T1\").await?;\n        Ok(queries.len())\n    }\n}\n";
        let tiberius =
            format!("use tiberius::{{Client, Error}};\n\nimpl Migrate for Client {{\n{body}");
        let f = raw(&tiberius);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].reason, "`BEGIN` is sent as SQL text by hand; tiberius has no transaction API: keep `BEGIN`, `COMMIT` and `ROLLBACK` in one guard type whose `Drop` rolls back");
        let postgres =
            format!("use postgres::{{Client, Error}};\n\nimpl Migrate for Client {{\n{body}");
        assert!(raw(&postgres)[0]
            .reason
            .contains("use postgres' `client.transaction()`"));
        let unknown = format!("impl Migrate for Client {{\n{body}");
        assert!(
            raw(&unknown)[0].reason.ends_with("; use the driver's transaction API (a transaction value that rolls back when dropped) instead"),
            "{:?}",
            raw(&unknown)
        );
    }

    #[test]
    fn implementations_and_other_sql_are_not_flagged() {
        let src = "impl Tx {\n    fn commit(self) -> Result<()> { self.conn.execute_batch(\"COMMIT\") }\n    fn rollback(&self) -> Result<()> { self.conn.execute_batch(\"ROLLBACK\") }\n}\nfn begin_immediate(c: &Connection) -> Result<()> { c.execute_batch(\"BEGIN IMMEDIATE\") }\nfn f(c: &Connection) -> Result<()> { c.execute_batch(\"SELECT 1; -- BEGIN\")?; c.execute(\"UPDATE begin SET x = 1\", [])?; Ok(()) }\n";
        assert!(raw(src).is_empty());
    }
}
