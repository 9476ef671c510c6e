//! RS003's rewrite for diesel: a block that sends `BEGIN` and `COMMIT` as SQL text through
//! `sql_query(..).execute(conn)?`, with `ROLLBACK`s only right before error exits, becomes
//! diesel's closure API, `conn.transaction::<_, E, _>(|conn| { ..; Ok(..) })?` with `E`
//! the function's own error type (so `?` and `return Err(..)` in the body keep their
//! types). `BEGIN IMMEDIATE` / `EXCLUSIVE` on a `SqliteConnection` become
//! `immediate_transaction` / `exclusive_transaction`. Only when the run has no project
//! closure helper for the connection type; always `review`.

use std::ops::Range;

use ra_ap_syntax::ast::{self, HasArgList, HasGenericArgs, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::closure_body::{self, Call};
use super::raw_sql_transaction::raw_sql;
use super::Ctx;
use crate::finding::TextEdit;
use crate::flow;
use crate::syntax::{self, method_name, range};

/// A raw-SQL block rewritten into diesel's closure API.
pub struct BlockRewrite {
    /// From the `BEGIN` statement to the end of the `COMMIT` statement.
    pub range: Range<usize>,
    pub anchor: SyntaxNode,
    pub edits: Vec<TextEdit>,
    pub reason: String,
}

/// Every diesel raw-SQL block of the file that moves into `conn.transaction(..)` cleanly.
pub fn plan(ctx: &Ctx) -> Vec<BlockRewrite> {
    ctx.file
        .syntax()
        .descendants()
        .filter(|n| n.kind() == SyntaxKind::EXPR_STMT)
        .filter_map(|stmt| {
            let sql = diesel_sql(&stmt)?;
            let method = begin_method(&sql.text)?;
            (sql.propagated).then_some(())?;
            plan_block(ctx, &stmt, &sql, method)
        })
        .collect()
}

/// `[let _ =] sql_query("..").execute(conn)[?|.ok()|.unwrap()];`
struct DieselSql {
    text: String,
    conn: String,
    propagated: bool,
}

fn diesel_sql(stmt: &SyntaxNode) -> Option<DieselSql> {
    let expr = if let Some(e) = ast::ExprStmt::cast(stmt.clone()) {
        e.expr()?
    } else {
        let l = ast::LetStmt::cast(stmt.clone())?;
        if !matches!(l.pat(), Some(ast::Pat::WildcardPat(_))) {
            return None;
        }
        l.initializer()?
    };
    let mut cur = expr;
    let mut propagated = false;
    loop {
        cur = match &cur {
            ast::Expr::TryExpr(t) => {
                propagated = true;
                t.expr()?
            }
            ast::Expr::MethodCallExpr(m)
                if matches!(method_name(m).as_str(), "ok" | "unwrap" | "expect") =>
            {
                m.receiver()?
            }
            _ => break,
        };
    }
    let ast::Expr::MethodCallExpr(exec) = cur else {
        return None;
    };
    let args: Vec<ast::Expr> = exec.arg_list()?.args().collect();
    let ([arg], "execute") = (args.as_slice(), method_name(&exec).as_str()) else {
        return None;
    };
    let ast::Expr::CallExpr(query) = exec.receiver()? else {
        return None;
    };
    if syntax::path_last(&query.expr()?)?.as_str() != "sql_query" {
        return None;
    }
    Some(DieselSql {
        text: syntax::string_value(&query.arg_list()?.args().next()?)?,
        conn: syntax::path_ident(arg)?,
        propagated,
    })
}

fn words(sql: &str) -> Vec<String> {
    sql.trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The diesel method that begins what `sql` begins.
fn begin_method(sql: &str) -> Option<&'static str> {
    let w = words(sql);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["BEGIN"] | ["BEGIN", "TRANSACTION"] | ["BEGIN", "DEFERRED", ..] => Some("transaction"),
        ["START", "TRANSACTION"] => Some("transaction"),
        ["BEGIN", "IMMEDIATE", ..] => Some("immediate_transaction"),
        ["BEGIN", "EXCLUSIVE", ..] => Some("exclusive_transaction"),
        _ => None,
    }
}

fn is_commit(sql: &str) -> bool {
    let w = words(sql);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["COMMIT"] | ["COMMIT", "TRANSACTION" | "WORK"] | ["END"] | ["END", "TRANSACTION"]
    )
}

fn is_rollback(sql: &str) -> bool {
    let w = words(sql);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        ["ROLLBACK"] | ["ROLLBACK", "TRANSACTION" | "WORK"]
    )
}

fn plan_block(
    ctx: &Ctx,
    begin: &SyntaxNode,
    sql: &DieselSql,
    method: &'static str,
) -> Option<BlockRewrite> {
    let list = ast::StmtList::cast(begin.parent()?)?;
    let owner = syntax::body_owner(begin)?;
    let f = ast::Fn::cast(owner.clone()).filter(|f| f.async_token().is_none())?;
    let conn_type = mut_ref_param(&f, &sql.conn)?;
    let api_ok = match method {
        "transaction" => diesel_connection_in_scope(&ctx.file),
        _ => conn_type == "SqliteConnection",
    };
    let helper_exists = ctx.helpers.iter().any(|t| t.helper.conn_type == conn_type);
    if !api_ok || helper_exists {
        return None;
    }
    let error_type = error_type(&f)?;
    let commit = commit_after(begin, &sql.conn)?;
    let body = closure_body::inner_lines(ctx.text, range(begin), range(&commit).start)?;
    let rollbacks = rollbacks_in(&list, &owner, &body, &sql.conn)?;
    if !closure_body::moves_cleanly(&list, Some(&owner), &body, |_| false) {
        return None;
    }
    let carried = closure_body::carried_out(&list, &body, range(&commit).end)?;
    let removals: Vec<TextEdit> = rollbacks
        .iter()
        .map(|r| syntax::delete_statement(ctx.text, range(r)))
        .collect();
    let piece = closure_body::piece_after(ctx.text, &body, &removals)?;
    let conn = &sql.conn;
    let call = Call {
        open: format!("{conn}.{method}::<_, {error_type}, _>(|{conn}| {{"),
        close: ")?;".into(),
        start: range(begin).start,
        scope: &list,
        carried: &carried,
    };
    let edit = TextEdit {
        range: range(begin).start..range(&commit).end,
        replacement: closure_body::closure_text(ctx, &call, &piece)?,
    };
    if !crate::parses(&crate::apply_edits(ctx.text, &[edit.clone()]), ctx.edition) {
        return None;
    }
    let unguarded = exits_in(&list, &owner, &body, &rollbacks) > rollbacks.len();
    Some(BlockRewrite {
        range: range(begin).start..range(&commit).end,
        anchor: begin.clone(),
        edits: vec![edit],
        reason: reason(&sql.text, conn, method, !rollbacks.is_empty(), unguarded),
    })
}

fn reason(sql: &str, conn: &str, method: &str, had_rollbacks: bool, unguarded: bool) -> String {
    let verb = syntax::transaction_sql_verb(sql).unwrap_or("BEGIN");
    let mut changes = Vec::new();
    if had_rollbacks {
        changes.push("the hand-written `ROLLBACK`s go");
    }
    if unguarded {
        changes.push("an error that left the block without `ROLLBACK` is now rolled back");
    }
    changes.push("the block's borrows move into the closure");
    format!(
        "`{verb}` … `COMMIT` sent as SQL text becomes diesel's `{conn}.{method}(|{conn}| ..)`, which commits on `Ok` and rolls back on `Err`: {}",
        changes.join(", ")
    )
}

/// The type (last segment) behind the `&mut` parameter `name` of `f`.
fn mut_ref_param(f: &ast::Fn, name: &str) -> Option<String> {
    let param = f.param_list()?.params().find(|p| {
        matches!(p.pat(), Some(ast::Pat::IdentPat(ref i)) if i.name().is_some_and(|n| n.text() == name))
    })?;
    let ast::Type::RefType(r) = param.ty()? else {
        return None;
    };
    r.mut_token()?;
    syntax::last_type_name(&r.ty()?)
}

/// `use diesel::prelude::*` or a `use` of diesel's `Connection` trait, whose method
/// `transaction` the rewrite calls.
fn diesel_connection_in_scope(file: &ast::SourceFile) -> bool {
    file.syntax()
        .descendants()
        .filter_map(ast::UseTree::cast)
        .any(|t| {
            let full: String = t
                .syntax()
                .ancestors()
                .filter_map(ast::UseTree::cast)
                .filter_map(|u| u.path().map(|p| p.syntax().text().to_string()))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("::");
            full.starts_with("diesel")
                && ((t.star_token().is_some() && full.ends_with("prelude"))
                    || (full.ends_with("Connection") && t.rename().is_none()))
        })
}

/// `Result<T, E>` -> `E`; diesel's `QueryResult<T>` -> its error type.
fn error_type(f: &ast::Fn) -> Option<String> {
    let ast::Type::PathType(p) = f.ret_type()?.ty()? else {
        return None;
    };
    let seg = p.path()?.segment()?;
    let name = seg.name_ref()?.text().to_string();
    let args: Vec<ast::GenericArg> = seg.generic_arg_list()?.generic_args().collect();
    match (name.as_str(), args.as_slice()) {
        ("QueryResult", [_]) => Some("diesel::result::Error".into()),
        ("Result", [_, ast::GenericArg::TypeArg(e)]) => Some(e.syntax().text().to_string()),
        _ => None,
    }
}

/// The first later statement of the list that commits on `conn` (with `?`).
fn commit_after(begin: &SyntaxNode, conn: &str) -> Option<SyntaxNode> {
    begin
        .siblings(ra_ap_syntax::Direction::Next)
        .skip(1)
        .filter(|n| n.kind() == SyntaxKind::EXPR_STMT)
        .find(|n| diesel_sql(n).is_some_and(|s| is_commit(&s.text) && s.conn == conn))
        .filter(|n| diesel_sql(n).is_some_and(|s| s.propagated))
}

/// The `ROLLBACK` statements of the body, each right before an exit on the error path;
/// `None` when the body sends other transaction SQL, or a rollback is followed by more
/// code or by an `Ok` exit.
fn rollbacks_in(
    list: &ast::StmtList,
    owner: &SyntaxNode,
    body: &Range<usize>,
    conn: &str,
) -> Option<Vec<SyntaxNode>> {
    let mut out = Vec::new();
    for node in list.syntax().descendants() {
        let r = range(&node);
        if r.start < body.start || r.end > body.end || raw_sql(&node, &[]).is_none() {
            continue;
        }
        let stmt = node.ancestors().find(|a| {
            a.parent()
                .is_some_and(|p| ast::StmtList::can_cast(p.kind()))
        })?;
        diesel_sql(&stmt).filter(|s| is_rollback(&s.text) && s.conn == conn)?;
        let exit = flow::exit_after(&stmt, owner, None)?;
        let leaves_with_err = !exit.value.as_ref().is_some_and(flow::is_ok_value)
            && flow::on_error_path(&stmt, list.syntax(), Some(&exit));
        if !leaves_with_err {
            return None;
        }
        out.push(stmt);
    }
    Some(out)
}

/// `?` and `return` of `owner` in the body, outside the rollback statements.
fn exits_in(
    list: &ast::StmtList,
    owner: &SyntaxNode,
    body: &Range<usize>,
    rollbacks: &[SyntaxNode],
) -> usize {
    list.syntax()
        .descendants()
        .filter(|n| matches!(n.kind(), SyntaxKind::TRY_EXPR | SyntaxKind::RETURN_EXPR))
        .filter(|n| body.contains(&range(n).start))
        .filter(|n| syntax::body_owner(n).as_ref() == Some(owner))
        .filter(|n| !rollbacks.iter().any(|r| range(r).contains(&range(n).start)))
        .count()
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::{findings_of, rewritten};
    use crate::{Kind, Safety};

    const HEAD: &str = "use diesel::prelude::*;\nuse diesel::sql_query;\n";

    fn raw(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::RawSqlTransaction)
    }

    #[test]
    fn a_begin_commit_block_becomes_the_closure_api() {
        let src = format!(
            "{HEAD}
pub fn add(conn: &mut PgConnection, name: &str) -> Result<(), AppError> {{
    sql_query(\"BEGIN\").execute(conn)?;
    if let Err(e) = insert(conn, name) {{
        sql_query(\"ROLLBACK\").execute(conn)?;
        return Err(e);
    }}
    bump(conn)?;
    sql_query(\"COMMIT\").execute(conn)?;
    Ok(())
}}
"
        );
        let f = raw(&src);
        assert_eq!(f.len(), 1, "one finding for the block: {f:?}");
        assert_eq!(f[0].safety, Safety::Review);
        assert_eq!(f[0].line, 5);
        assert_eq!(f[0].reason, "`BEGIN` … `COMMIT` sent as SQL text becomes diesel's `conn.transaction(|conn| ..)`, which commits on `Ok` and rolls back on `Err`: the hand-written `ROLLBACK`s go, an error that left the block without `ROLLBACK` is now rolled back, the block's borrows move into the closure");
        let out = rewritten(&src);
        assert!(
            out.contains(
                "    conn.transaction::<_, AppError, _>(|conn| {
        if let Err(e) = insert(conn, name) {
            return Err(e);
        }
        bump(conn)?;
        Ok(())
    })?;
    Ok(())
"
            ),
            "{out}"
        );
    }

    #[test]
    fn begin_immediate_on_sqlite_and_a_carried_value() {
        let src = format!(
            "{HEAD}
pub fn next_id(conn: &mut SqliteConnection) -> QueryResult<i64> {{
    sql_query(\"BEGIN IMMEDIATE\").execute(conn)?;
    let id = claim(conn)?;
    sql_query(\"COMMIT\").execute(conn)?;
    Ok(id)
}}
"
        );
        let out = rewritten(&src);
        assert!(
            out.contains(
                "    let id = conn.immediate_transaction::<_, diesel::result::Error, _>(|conn| {
        let id = claim(conn)?;
        Ok(id)
    })?;
    Ok(id)
"
            ),
            "{out}"
        );
        assert!(raw(&src)[0]
            .reason
            .contains("`conn.immediate_transaction(|conn| ..)`"));
    }

    #[test]
    fn blocks_the_closure_api_cannot_take_stay_reported() {
        for (sig, body) in [
            // a project helper exists for the connection type (below)
            (
                "fn f(conn: &mut PgConnection) -> QueryResult<()>",
                "work(conn)?;",
            ),
            // no error type to name
            (
                "fn f(conn: &mut PgConnection) -> anyhow::Result<()>",
                "work(conn)?;",
            ),
            // BEGIN IMMEDIATE on a connection that is not SQLite's
            (
                "fn f(conn: &mut PgConnection) -> QueryResult<()>",
                "work(conn)?; // IMMEDIATE",
            ),
            // an early `Ok` exit
            (
                "fn f(conn: &mut PgConnection) -> QueryResult<()>",
                "if done(conn) { return Ok(()); }",
            ),
            // a rollback followed by more work
            (
                "fn f(conn: &mut PgConnection) -> QueryResult<()>",
                "if bad(conn) { sql_query(\"ROLLBACK\").execute(conn)?; log(); }",
            ),
        ] {
            let begin = if body.contains("IMMEDIATE") {
                "BEGIN IMMEDIATE"
            } else {
                "BEGIN"
            };
            let helper = if sig.ends_with("QueryResult<()>") && body == "work(conn)?;" {
                "pub fn with_tx<T>(conn: &mut PgConnection, f: impl FnOnce(&Transaction) -> QueryResult<T>) -> QueryResult<T> {\n    let tx = conn.transaction()?;\n    let v = f(&tx)?;\n    tx.commit()?;\n    Ok(v)\n}\n"
            } else {
                ""
            };
            let src = format!(
                "{HEAD}{helper}
pub {sig} {{
    sql_query(\"{begin}\").execute(conn)?;
    {body}
    sql_query(\"COMMIT\").execute(conn)?;
    Ok(())
}}
"
            );
            let f = raw(&src);
            assert!(f.len() >= 2, "{sig} {body}: {f:?}");
            assert!(
                f.iter()
                    .all(|f| f.safety == Safety::Manual && f.edits.is_empty()),
                "{sig} {body}: {f:?}"
            );
        }
    }
}
