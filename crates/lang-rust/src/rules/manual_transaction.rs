//! `manual-transaction` (RS001): a transaction begun, committed on success and rolled back
//! by hand on the error path although dropping it already rolls back. Rewritten to the drop
//! form: the explicit rollbacks on error paths go, the commit stays. When the run has one
//! closure helper for the block's connection, the block becomes a call of it instead
//! (`helper_rewrite.rs`), or keeps the drop form when it does not move into a closure
//! cleanly.

use ra_ap_syntax::AstNode;

use super::removal::{self, Site};
use super::{helper_rewrite, Ctx};
use crate::finding::{Finding, Kind, Safety};
use crate::flow::{self, Handling};
use crate::syntax::range;
use crate::tx::{DropRollback, Tx, UseKind};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    ctx.tracked()
        .filter(|tx| tx.has(UseKind::Commit))
        .filter_map(|tx| finding_for(ctx, tx))
        .collect()
}

/// The error-path rollbacks of `tx` (the ones this rule owns).
fn error_path_sites(ctx: &Ctx, tx: &Tx) -> Vec<Site> {
    tx.of_kind(UseKind::Rollback)
        .filter_map(|u| u.call.as_ref())
        .map(|call| removal::classify(ctx, tx, call))
        .filter(|s| s.error_path)
        .collect()
}

fn finding_for(ctx: &Ctx, tx: &Tx) -> Option<Finding> {
    let sites = error_path_sites(ctx, tx);
    if sites.is_empty() {
        return None;
    }
    let span = block_range(tx);
    let anchor = tx.let_stmt.syntax();
    let manual = |reason: String| {
        Some(ctx.finding(
            Kind::ManualTransaction,
            anchor,
            span.clone(),
            Safety::Manual,
            reason,
            vec![],
        ))
    };
    if let Some(reason) = blocker(ctx, tx, &sites) {
        return manual(reason);
    }
    let mut edits = Vec::new();
    for site in &sites {
        match removal::plan(ctx, site) {
            Ok(e) => edits.extend(e),
            Err(reason) => return manual(reason),
        }
    }
    if let Some(call) = helper_rewrite::plan(ctx, tx, &sites, &edits) {
        return Some(ctx.finding(
            Kind::ManualTransaction,
            anchor,
            span,
            Safety::Review,
            call.reason,
            call.edits,
        ));
    }
    edits.extend(super::binding::adjust(ctx, tx, &sites, &edits));
    let DropRollback::Yes(desc) = &tx.drop else {
        unreachable!("blocker() rejects other drop behaviours")
    };
    let handlings: Vec<Handling> = sites.iter().map(|s| s.site.handling).collect();
    let (safety, reason) = removal::safety_of(
        &handlings,
        desc,
        "the explicit rollback on the error path is removed",
    );
    Some(ctx.finding(Kind::ManualTransaction, anchor, span, safety, reason, edits))
}

/// Why the rollbacks must stay, if they must.
fn blocker(ctx: &Ctx, tx: &Tx, sites: &[Site]) -> Option<String> {
    if let Some(u) = tx.of_kind(UseKind::InMacro).next() {
        return Some(format!(
            "the transaction is used inside a macro call at line {}, which is not analysed",
            ctx.line(u.offset)
        ));
    }
    match &tx.drop {
        DropRollback::Yes(_) => {}
        DropRollback::No { line } => {
            return Some(format!("dropping this transaction does not roll back (set_drop_behavior at line {line}); the explicit rollback is kept"));
        }
        DropRollback::Unknown(why) => return Some(format!("{why}; the explicit rollback is kept")),
    }
    if let Some(s) = sites.iter().find(|s| s.exit.is_none()) {
        return Some(format!("code runs after the rollback at line {} while the transaction is still in scope; removing the rollback would keep it open longer", s.line));
    }
    // Without the rollback, a path that reports success would discard the work silently.
    let returns_ok = |s: &&Site| {
        s.exit
            .as_ref()
            .and_then(|e| e.value.as_ref())
            .is_some_and(flow::is_ok_value)
    };
    sites.iter().find(returns_ok).map(|s| {
        format!("the error path of the rollback at line {} returns `Ok`; the explicit rollback is kept so that the discarded work stays visible", s.line)
    })
}

/// From the `let` to the end of the last top-level statement of the scope that commits or
/// rolls back the transaction.
fn block_range(tx: &Tx) -> std::ops::Range<usize> {
    let start = tx.let_range().start;
    let mut end = tx.let_range().end;
    for stmt in tx.scope.syntax().children() {
        let r = range(&stmt);
        let settles = tx.uses.iter().any(|u| {
            matches!(u.kind, UseKind::Commit | UseKind::Rollback) && r.contains(&u.offset)
        });
        if settles {
            end = end.max(r.end);
        }
    }
    start..end
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::{findings_of, rewritten};
    use crate::{Kind, Safety};

    const HEAD: &str = "use rusqlite::{Connection, Result};\n";

    fn only(src: &str) -> crate::Finding {
        let f = findings_of(src, Kind::ManualTransaction);
        assert_eq!(f.len(), 1, "{f:?}");
        f.into_iter().next().unwrap()
    }

    #[test]
    fn match_commit_rollback_becomes_if_is_ok() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let tx = conn.transaction()?;\n    let result = work(&tx);\n    match result {{\n        Ok(_) => tx.commit()?,\n        Err(_) => tx.rollback()?,\n    }}\n    result\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Review);
        assert_eq!(
            f.reason,
            "a failing rollback is no longer reported; drop rolls back and ignores its error"
        );
        assert_eq!(f.line, 3);
        assert!(
            rewritten(&src)
                .contains("    if result.is_ok() {\n        tx.commit()?;\n    }\n    result\n"),
            "{}",
            rewritten(&src)
        );
    }

    #[test]
    fn ignored_rollback_in_if_let_err_is_safe() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let tx = conn.transaction()?;\n    if let Err(e) = work(&tx) {{\n        let _ = tx.rollback();\n        return Err(e);\n    }}\n    tx.commit()\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Safe, "{}", f.reason);
        assert!(!rewritten(&src).contains("rollback"));
        assert!(rewritten(&src).contains("return Err(e);"));
    }

    #[test]
    fn map_err_rollback_is_removed_whole() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let tx = conn.transaction()?;\n    work(&tx).map_err(|e| {{\n        tx.rollback().ok();\n        e\n    }})?;\n    tx.commit()\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Safe);
        assert!(
            rewritten(&src).contains("    work(&tx)?;\n"),
            "{}",
            rewritten(&src)
        );
    }

    #[test]
    fn code_after_the_rollback_keeps_it() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let tx = conn.transaction()?;\n    match work(&tx) {{\n        Ok(_) => tx.commit()?,\n        Err(_) => tx.rollback()?,\n    }}\n    audit(conn)?;\n    Ok(())\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Manual);
        assert!(
            f.reason
                .starts_with("code runs after the rollback at line 6"),
            "{}",
            f.reason
        );
        assert!(f.edits.is_empty());
    }

    #[test]
    fn set_drop_behavior_blocks_the_rewrite() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let mut tx = conn.transaction()?;\n    tx.set_drop_behavior(DropBehavior::Commit);\n    if let Err(e) = work(&tx) {{\n        let _ = tx.rollback();\n        return Err(e);\n    }}\n    tx.commit()\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Manual);
        assert!(
            f.reason.contains("set_drop_behavior at line 4"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn unknown_project_type_is_manual() {
        let src = "fn f(db: &Db) -> Result<()> {\n    let tx = db.begin_transaction()?;\n    if let Err(e) = work(db) {\n        tx.rollback()?;\n        return Err(e);\n    }\n    tx.commit()\n}\n";
        let f = only(src);
        assert_eq!(f.safety, Safety::Manual);
        assert!(
            f.reason.contains("not defined in this file"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn unwrapped_rollback_is_review_and_bindings_give_if_let() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) {{\n    let tx = conn.transaction().unwrap();\n    match work(&tx) {{\n        Ok(n) => {{ log(n); tx.commit().unwrap(); }}\n        Err(_) => tx.rollback().unwrap(),\n    }}\n}}\n");
        let f = only(&src);
        assert_eq!(
            f.reason,
            "a failing rollback no longer panics; drop rolls back and ignores its error"
        );
        assert!(
            rewritten(&src)
                .contains("    if let Ok(n) = work(&tx) { log(n); tx.commit().unwrap(); }\n}"),
            "{}",
            rewritten(&src)
        );
    }

    #[test]
    fn a_comment_in_the_match_keeps_the_arm() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<()> {{\n    let tx = conn.transaction()?;\n    match work(&tx) {{\n        Ok(_) => tx.commit()?,\n        // undo\n        Err(_) => {{ tx.rollback()?; }}\n    }}\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Review);
        assert!(
            rewritten(&src).contains("        // undo\n        Err(_) => { }\n"),
            "{}",
            rewritten(&src)
        );
    }

    #[test]
    fn rollback_before_ok_exit_is_kept() {
        let src = format!("{HEAD}fn f(conn: &mut Connection) -> Result<bool> {{\n    let tx = conn.transaction()?;\n    if let Err(_) = work(&tx) {{\n        tx.rollback()?;\n        return Ok(false);\n    }}\n    tx.commit()?;\n    Ok(true)\n}}\n");
        let f = only(&src);
        assert_eq!(f.safety, Safety::Manual);
        assert!(
            f.reason
                .starts_with("the error path of the rollback at line 5 returns `Ok`"),
            "{}",
            f.reason
        );
    }

    #[test]
    fn traps_give_no_finding() {
        let traps = [
            // a helper that implements the closure API
            "fn with_transaction<T>(conn: &mut Connection, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {\n    let tx = conn.transaction()?;\n    match f(&tx) {\n        Ok(v) => { tx.commit()?; Ok(v) }\n        Err(e) => { tx.rollback()?; Err(e) }\n    }\n}\n",
            // the transaction escapes
            "fn f(conn: &mut Connection) -> Result<()> {\n    let tx = conn.transaction()?;\n    if let Err(e) = work(&tx) { tx.rollback()?; return Err(e); }\n    finish_later(tx);\n    Ok(())\n}\n",
            // rollback on the success path only
            "fn f(conn: &mut Connection) -> Result<()> {\n    let tx = conn.transaction()?;\n    work(&tx)?;\n    tx.commit()?;\n    Ok(())\n}\n",
        ];
        for src in traps {
            let f = findings_of(src, Kind::ManualTransaction);
            assert!(f.is_empty(), "{src}\n{f:?}");
        }
    }
}
