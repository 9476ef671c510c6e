//! RS001's rewrite into the project's closure helper: when the run has one closure helper
//! for the block's connection type and begin, the block from its `let` to its final commit
//! becomes `helper(conn, |tx| { <body>; Ok(..) })`, its error-path rollbacks removed as in
//! the drop form. Only blocks that move into a closure cleanly qualify; for the others the
//! caller keeps the drop form.

use std::ops::Range;

use ra_ap_syntax::ast::{self, HasName};
use ra_ap_syntax::{AstNode, SyntaxKind, SyntaxNode};

use super::closure_body::{self, Carried};
use super::removal::Site;
use super::{Ctx, HelperTarget};
use crate::finding::TextEdit;
use crate::helpers::{ClosureHelper, OnErr};
use crate::syntax::{self, range};
use crate::tx::{Tx, UseKind};

/// The edits and reason of a block rewritten into a helper call.
pub struct HelperRewrite {
    pub edits: Vec<TextEdit>,
    pub reason: String,
}

/// The rewrite of `tx`'s block into the run's closure helper, if there is one helper for
/// it and the block moves into a closure cleanly. `drop_edits` remove the error-path
/// rollbacks `sites`.
pub fn plan(ctx: &Ctx, tx: &Tx, sites: &[Site], drop_edits: &[TextEdit]) -> Option<HelperRewrite> {
    let target = choose(ctx, tx)?;
    if !callable(ctx, tx, target) {
        return None;
    }
    let helper = &target.helper;
    let shape = block_shape(ctx, tx, helper, sites)?;
    let edit = build(ctx, tx, helper, &shape, drop_edits)?;
    if !crate::parses(&crate::apply_edits(ctx.text, &[edit.clone()]), ctx.edition) {
        return None;
    }
    let on_err = match helper.on_err {
        OnErr::RollsBack => "rolls back on `Err`",
        OnErr::DropRollsBack => "lets drop roll back on `Err`",
    };
    let reason = format!(
        "rewritten into a call of `{}`, the project's transaction helper (it commits on `Ok` and {on_err}): the block's borrows move into the closure, `?` in it now returns from the closure, and its errors must convert to the helper's error type",
        helper.name
    );
    Some(HelperRewrite {
        edits: vec![edit],
        reason,
    })
}

/// The one helper for the block's connection type and begin method, by use count (a tie
/// is no helper), if the block's connection can be passed to it.
fn choose<'c>(ctx: &'c Ctx, tx: &Tx) -> Option<&'c HelperTarget> {
    let (conn_type, conn_mut) = receiver_param(tx)?;
    let fits: Vec<&HelperTarget> = ctx
        .helpers
        .iter()
        .filter(|t| t.helper.conn_type == conn_type && t.helper.begin == tx.method)
        .collect();
    let most = fits.iter().map(|t| t.uses).max()?;
    let mut top = fits.into_iter().filter(|t| t.uses == most);
    let chosen = top.next()?;
    if top.next().is_some() {
        return None;
    }
    let h = &chosen.helper;
    (!h.is_async && (conn_mut || !h.conn_mut)).then_some(chosen)
}

/// The type (last segment) and `&mut`-ness of the parameter the block begins on.
fn receiver_param(tx: &Tx) -> Option<(String, bool)> {
    let owner = syntax::body_owner(tx.let_stmt.syntax())?;
    let f = ast::Fn::cast(owner)?;
    for p in f.param_list()?.params() {
        let Some(ast::Pat::IdentPat(pat)) = p.pat() else {
            continue;
        };
        if pat.name().is_some_and(|n| n.text() == tx.receiver.as_str()) {
            let ast::Type::RefType(r) = p.ty()? else {
                return None;
            };
            return Some((syntax::last_type_name(&r.ty()?)?, r.mut_token().is_some()));
        }
    }
    None
}

/// The helper's name resolves where the block is: defined in the block's module, or
/// imported there by a `use` of that name.
fn callable(ctx: &Ctx, tx: &Tx, target: &HelperTarget) -> bool {
    let module = module_of(tx.let_stmt.syntax());
    let name = target.helper.name.as_str();
    let defined_here = ctx
        .file
        .syntax()
        .descendants()
        .filter_map(ast::Fn::cast)
        .any(|f| {
            f.name().is_some_and(|n| n.text() == name)
                && f.syntax().parent().is_some_and(|p| {
                    matches!(p.kind(), SyntaxKind::SOURCE_FILE | SyntaxKind::ITEM_LIST)
                })
                && module_of(f.syntax()) == module
        });
    let imported = ctx
        .file
        .syntax()
        .descendants()
        .filter_map(ast::UseTree::cast)
        .any(|t| {
            t.rename().is_none()
                && t.use_tree_list().is_none()
                && t.path()
                    .and_then(|p| p.segment())
                    .and_then(|s| s.name_ref())
                    .is_some_and(|n| n.text() == name)
                && module_of(t.syntax()) == module
        });
    (target.local && defined_here) || imported
}

/// The range of the innermost inline module around `node` (`None` at file level).
fn module_of(node: &SyntaxNode) -> Option<Range<usize>> {
    node.ancestors()
        .skip(1)
        .find_map(ast::Module::cast)
        .map(|m| range(m.syntax()))
}

/// Where the block's parts are.
struct Shape {
    /// Whole lines from the one after the `let` to the one before the commit.
    body: Range<usize>,
    /// The final `tx.commit()` call, which starts its statement.
    commit: ast::MethodCallExpr,
    /// The one name the block binds that code after it reads: (name, pattern).
    carried: Carried,
}

fn block_shape(ctx: &Ctx, tx: &Tx, helper: &ClosureHelper, sites: &[Site]) -> Option<Shape> {
    if tx.has(UseKind::SetDropBehavior)
        || tx.has(UseKind::InMacro)
        || tx.of_kind(UseKind::Rollback).count() != sites.len()
    {
        return None;
    }
    let mut commits = tx.of_kind(UseKind::Commit);
    let commit = commits.next()?.call.clone()?;
    if commits.next().is_some() {
        return None;
    }
    let ast::Pat::IdentPat(pat) = tx.let_stmt.pat()? else {
        return None;
    };
    if pat.mut_token().is_some() && !helper.closure_gets_mut {
        return None;
    }
    let at = range(commit.syntax()).start;
    let stmt = tx
        .scope
        .syntax()
        .children()
        .find(|c| range(c).contains(&at))?;
    let is_tail = tx.scope.tail_expr().is_some_and(|t| t.syntax() == &stmt);
    let awaited = commit
        .syntax()
        .parent()
        .is_some_and(|p| p.kind() == SyntaxKind::AWAIT_EXPR);
    if range(&stmt).start != at || awaited || !(is_tail || ast::ExprStmt::can_cast(stmt.kind())) {
        return None;
    }
    let body = closure_body::inner_lines(ctx.text, tx.let_range(), at)?;
    let owner = syntax::body_owner(tx.let_stmt.syntax());
    let blocked = |node: &SyntaxNode| match node.kind() {
        // The helper borrows the connection for as long as the closure runs.
        SyntaxKind::NAME_REF => node.text() == tx.receiver.as_str(),
        SyntaxKind::REF_EXPR => mut_borrow_of(node, &tx.name, helper.closure_gets_mut),
        _ => false,
    };
    if !closure_body::moves_cleanly(&tx.scope, owner.as_ref(), &body, blocked) {
        return None;
    }
    let carried = closure_body::carried_out(&tx.scope, &body, range(&stmt).end)?;
    if carried.is_some() && is_tail {
        return None;
    }
    Some(Shape {
        body,
        commit,
        carried,
    })
}

/// `&mut tx` (the closure's `tx` is a reference, not a mutable binding), or `&mut *tx`
/// when the closure gets only `&`.
fn mut_borrow_of(node: &SyntaxNode, name: &str, gets_mut: bool) -> bool {
    let Some(r) = ast::RefExpr::cast(node.clone()).filter(|r| r.mut_token().is_some()) else {
        return false;
    };
    let inner = r.expr().map(|e| e.syntax().text().to_string());
    match inner.as_deref() {
        Some(t) if t == name => true,
        Some(t) => !gets_mut && t.trim_start_matches('*').trim() == name,
        None => false,
    }
}

fn build(
    ctx: &Ctx,
    tx: &Tx,
    helper: &ClosureHelper,
    shape: &Shape,
    drop_edits: &[TextEdit],
) -> Option<TextEdit> {
    let piece = closure_body::piece_after(ctx.text, &shape.body, drop_edits)?;
    let closure = format!("|{}| {{", tx.name);
    let (open, close) = if helper.conn_first {
        (
            format!("{}({}, {closure}", helper.name, tx.receiver),
            ")".into(),
        )
    } else {
        (
            format!("{}({closure}", helper.name),
            format!(", {})", tx.receiver),
        )
    };
    let start = tx.let_range().start;
    let call = closure_body::Call {
        open,
        close,
        start,
        scope: &tx.scope,
        carried: &shape.carried,
    };
    Some(TextEdit {
        range: start..range(shape.commit.syntax()).end,
        replacement: closure_body::closure_text(ctx, &call, &piece)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::{findings, findings_of, rewritten};
    use crate::{Kind, Safety};

    const HELPER: &str = "use rusqlite::{Connection, Result, Transaction};

pub fn with_tx<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction()?;
    match f(&tx) {
        Ok(v) => {
            tx.commit()?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.rollback();
            Err(e)
        }
    }
}
";

    fn manual(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::ManualTransaction)
    }

    #[test]
    fn a_block_becomes_a_call_of_the_helper() {
        let src = format!(
            "{HELPER}
pub fn save(conn: &mut Connection, id: i64) -> Result<()> {{
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [id]) {{
        let _ = tx.rollback();
        return Err(e);
    }}
    tx.execute(\"UPDATE c SET n = n + 1\", [])?;
    tx.commit()
}}
"
        );
        let f = manual(&src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].safety, Safety::Review);
        assert_eq!(f[0].reason, "rewritten into a call of `with_tx`, the project's transaction helper (it commits on `Ok` and rolls back on `Err`): the block's borrows move into the closure, `?` in it now returns from the closure, and its errors must convert to the helper's error type");
        let out = rewritten(&src);
        assert!(
            out.contains(
                "pub fn save(conn: &mut Connection, id: i64) -> Result<()> {
    with_tx(conn, |tx| {
        if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [id]) {
            return Err(e);
        }
        tx.execute(\"UPDATE c SET n = n + 1\", [])?;
        Ok(())
    })
}
"
            ),
            "{out}"
        );
    }

    /// A second helper for the same connection type and begin.
    const OTHER_HELPER: &str = "
pub fn atomically<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn.transaction()?;
    let v = f(&tx)?;
    tx.commit()?;
    Ok(v)
}
";

    const BLOCK: &str = "
pub fn save(conn: &mut Connection, id: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
";

    fn one(src: &str) -> crate::Finding {
        let f = manual(src);
        assert_eq!(f.len(), 1, "{f:?}");
        f.into_iter().next().unwrap()
    }

    fn is_drop_form(f: &crate::Finding) -> bool {
        f.safety == Safety::Safe
            && f.reason
                .starts_with("the explicit rollback on the error path is removed")
    }

    #[test]
    fn a_tie_between_two_helpers_keeps_the_drop_form() {
        let src = format!("{HELPER}{OTHER_HELPER}{BLOCK}");
        let f = one(&src);
        assert!(is_drop_form(&f), "{f:?}");
        assert!(!rewritten(&src).contains("with_tx(conn"));
    }

    #[test]
    fn the_helper_used_most_wins() {
        let uses = "
fn ping(conn: &mut Connection) -> Result<()> {
    atomically(conn, |tx| tx.execute_batch(\"SELECT 1\"))
}
";
        let src = format!("{HELPER}{OTHER_HELPER}{uses}{BLOCK}");
        let f = one(&src);
        assert!(
            f.reason
                .starts_with("rewritten into a call of `atomically`"),
            "{f:?}"
        );
        assert!(
            f.reason.contains("lets drop roll back on `Err`"),
            "{}",
            f.reason
        );
        assert!(rewritten(&src).contains("    atomically(conn, |tx| {\n"));
    }

    #[test]
    fn the_helpers_own_body_is_never_flagged() {
        // `atomically` is not named like an implementation: only its shape makes it one.
        let src = format!("use rusqlite::{{Connection, Result, Transaction}};\n{OTHER_HELPER}");
        assert!(findings(&src).is_empty(), "{:?}", findings(&src));
    }

    #[test]
    fn a_value_the_block_computes_is_returned_from_the_closure() {
        let src = format!(
            "{HELPER}
pub fn count(conn: &mut Connection) -> Result<i64> {{
    let tx = conn.transaction()?;
    let n: i64 = tx.query_row(\"SELECT count(*) FROM t\", [], |r| r.get(0)).map_err(|e| {{
        let _ = tx.rollback();
        e
    }})?;
    tx.commit()?;
    Ok(n)
}}
"
        );
        let out = rewritten(&src);
        assert!(
            out.contains(
                "    let n = with_tx(conn, |tx| {
        let n: i64 = tx.query_row(\"SELECT count(*) FROM t\", [], |r| r.get(0))?;
        Ok(n)
    })?;
    Ok(n)
"
            ),
            "{out}"
        );
    }

    #[test]
    fn blocks_that_do_not_move_into_a_closure_keep_the_drop_form() {
        let bodies = [
            // the connection the helper borrows is used in the block
            "conn.execute_batch(\"SELECT 1\")?;",
            // leaves a loop around the block
            "for i in 0..3 { if i == 2 { break; } }\n    loop { if id > 0 { continue; } break; }\n    let _ = id; for _ in 0..1 { }",
            // a macro that returns
            "ensure!(id > 0, \"bad id\");",
            // two values read after the block
            "let (a, b) = (1, 2);",
        ];
        for body in bodies {
            let after = if body.starts_with("let (a") {
                "let _ = (a, b);\n    "
            } else {
                ""
            };
            let src = format!(
                "{HELPER}
pub fn save(conn: &mut Connection, id: i64) -> Result<()> {{
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [id]) {{
        let _ = tx.rollback();
        return Err(e);
    }}
    {body}
    tx.commit()?;
    {after}Ok(())
}}
"
            );
            let f = one(&src);
            let expect_drop_form = !body.starts_with("for i");
            assert_eq!(is_drop_form(&f), expect_drop_form, "{body}\n{f:?}");
        }
    }

    #[test]
    fn early_exits_and_awaits_keep_the_drop_form() {
        for (sig, body) in [
            (
                "fn save(conn: &mut Connection, id: i64) -> Result<()>",
                "if id == 0 { return Ok(()); }",
            ),
            (
                "fn save(conn: &mut Connection, id: i64) -> Result<()>",
                "for _ in 0..id { break; }\n    while id > 9 { if id > 10 { return Ok(()); } }",
            ),
            (
                "async fn save(conn: &mut Connection, id: i64) -> Result<()>",
                "notify(id).await;",
            ),
            // an immutable connection cannot be passed to a helper that takes `&mut`
            (
                "fn save(conn: &Connection, id: i64) -> Result<()>",
                "let _ = id;",
            ),
        ] {
            let begin = if sig.contains("&Connection") {
                "unchecked_transaction"
            } else {
                "transaction"
            };
            let src = format!(
                "{HELPER}
pub {sig} {{
    let tx = conn.{begin}()?;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [id]) {{
        let _ = tx.rollback();
        return Err(e);
    }}
    {body}
    tx.commit()
}}
"
            );
            let f = one(&src);
            assert!(is_drop_form(&f), "{sig} {body}\n{f:?}");
        }
    }

    #[test]
    fn lines_inside_multi_line_strings_keep_their_indentation() {
        let src = format!(
            "{HELPER}
pub fn save(conn: &mut Connection) -> Result<()> {{
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute_batch(\"INSERT INTO t
    VALUES (1)\") {{
        let _ = tx.rollback();
        return Err(e);
    }}
    tx.commit()
}}
"
        );
        let out = rewritten(&src);
        assert!(
            out.contains(
                "        if let Err(e) = tx.execute_batch(\"INSERT INTO t\n    VALUES (1)\") {\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn crlf_and_tab_indented_files_keep_their_layout() {
        let lf = format!("{HELPER}{BLOCK}").replace("    ", "\t");
        let crlf = lf.replace('\n', "\r\n");
        let out = rewritten(&crlf);
        assert!(
            out.contains("\twith_tx(conn, |tx| {\r\n\t\tif let Err(e) = tx.execute("),
            "{out:?}"
        );
        assert!(out.contains("\t\tOk(())\r\n\t})\r\n}"), "{out:?}");
        let bare_lf = out
            .match_indices('\n')
            .filter(|(i, _)| !out[..*i].ends_with('\r'))
            .count();
        assert_eq!(bare_lf, 0, "{out:?}");
    }

    #[test]
    fn a_field_of_the_same_name_is_no_read_of_the_binding() {
        let src = format!(
            "{HELPER}
pub fn save(conn: &mut Connection, p: &Point) -> Result<i64> {{
    let tx = conn.transaction()?;
    let x = p.x + 1;
    if let Err(e) = tx.execute(\"INSERT INTO t VALUES (?1)\", [x]) {{
        let _ = tx.rollback();
        return Err(e);
    }}
    tx.commit()?;
    Ok(p.x)
}}
"
        );
        let out = rewritten(&src);
        assert!(
            out.contains("    with_tx(conn, |tx| {\n        let x = p.x + 1;\n"),
            "{out}"
        );
        assert!(
            out.contains("        Ok(())\n    })?;\n    Ok(p.x)\n"),
            "{out}"
        );
    }

    #[test]
    fn a_helper_in_another_module_is_called_only_where_it_is_imported() {
        let helper_in_mod =
            format!("mod db {{\n{HELPER}}}\nuse rusqlite::{{Connection, Result}};\n");
        let not_imported = format!("{helper_in_mod}{BLOCK}");
        assert!(is_drop_form(&one(&not_imported)));
        let imported = format!("{helper_in_mod}use db::with_tx;\n{BLOCK}");
        let f = one(&imported);
        assert!(
            f.reason.starts_with("rewritten into a call of `with_tx`"),
            "{f:?}"
        );
    }
}
