//! `redundant-rollback` (RS002): `tx.rollback()` right before the transaction goes out of
//! scope on an exit that does not return `Ok(..)`, when dropping it rolls back anyway. The
//! rollback statement is removed; the `return` stays. Rollbacks before an `Ok` exit are kept:
//! there the explicit call says that the work is meant to be thrown away.

use super::binding;
use super::removal::{self, Site};
use super::Ctx;
use crate::finding::{Finding, Kind, Safety};
use crate::flow;
use crate::syntax::range;
use crate::tx::{DropRollback, Tx, UseKind};

pub fn check(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    for tx in ctx.tracked() {
        let DropRollback::Yes(desc) = &tx.drop else {
            continue;
        };
        for call in tx
            .of_kind(UseKind::Rollback)
            .filter_map(|u| u.call.as_ref())
        {
            let site = removal::classify(ctx, tx, call);
            if let Some(f) = finding_for(ctx, tx, &site, desc) {
                out.push(f);
            }
        }
    }
    out
}

fn finding_for(ctx: &Ctx, tx: &Tx, site: &Site, desc: &str) -> Option<Finding> {
    let exit = site.exit.as_ref()?;
    if exit.value.as_ref().is_some_and(flow::is_ok_value)
        || (site.error_path && tx.has(UseKind::Commit))
    {
        // An intended discard, or `manual-transaction`'s.
        return None;
    }
    let span = range(&site.node);
    let anchor = &site.node;
    if let Some(u) = tx.of_kind(UseKind::InMacro).next() {
        let reason = format!(
            "the transaction is used inside a macro call at line {}, which is not analysed",
            ctx.line(u.offset)
        );
        return Some(ctx.finding(
            Kind::RedundantRollback,
            anchor,
            span,
            Safety::Manual,
            reason,
            vec![],
        ));
    }
    match removal::plan(ctx, site) {
        Ok(mut edits) => {
            let sites = std::slice::from_ref(site);
            edits.extend(binding::adjust(ctx, tx, sites, &edits));
            let (safety, reason) = removal::safety_of(
                &[site.site.handling],
                desc,
                "the rollback right before the transaction goes out of scope is removed",
            );
            Some(ctx.finding(Kind::RedundantRollback, anchor, span, safety, reason, edits))
        }
        Err(reason) => Some(ctx.finding(
            Kind::RedundantRollback,
            anchor,
            span,
            Safety::Manual,
            reason,
            vec![],
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_util::{findings_of, rewritten};
    use crate::{Kind, Safety};

    fn of_kind(src: &str) -> Vec<crate::Finding> {
        findings_of(src, Kind::RedundantRollback)
    }

    #[test]
    fn rollback_before_return_err_without_commit() {
        let src = "async fn f(pool: &PgPool) -> Result<(), Error> {\n    let mut tx = pool.begin().await?;\n    if !check(&mut *tx).await? {\n        tx.rollback().await?;\n        return Err(Error::Invalid);\n    }\n    Ok(())\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].safety, Safety::Review);
        assert!(
            rewritten(src).contains(
                "    if !check(&mut *tx).await? {\n        return Err(Error::Invalid);\n    }\n"
            ),
            "{}",
            rewritten(src)
        );
    }

    #[test]
    fn ignored_rollback_at_unit_tail_is_safe() {
        let src = "fn f(conn: &mut Connection) {\n    let tx = conn.transaction().unwrap();\n    preview(&tx);\n    let _ = tx.rollback(); // nothing to keep\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].safety, Safety::Safe, "{}", f[0].reason);
        assert!(
            rewritten(src).contains("    preview(&tx);\n    // nothing to keep\n}"),
            "{}",
            rewritten(src)
        );
    }

    #[test]
    fn binding_left_without_uses_keeps_its_drop_at_scope_end() {
        let src = "fn t() {\n    let f = async move {\n        let conn = acquire().await.unwrap();\n        let tx = conn.begin().await.unwrap();\n        tx.rollback().await.unwrap();\n    };\n    block_on(f);\n}\n";
        let f = of_kind(src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].safety, Safety::Review);
        // `_tx`, not `_`: the transaction still drops at the end of the block.
        assert!(
            rewritten(src).contains("        let _tx = conn.begin().await.unwrap();\n    };\n"),
            "{}",
            rewritten(src)
        );
    }

    #[test]
    fn kept_before_ok_exit_and_when_drop_does_not_roll_back() {
        let dry_run = "fn f(conn: &mut Connection) -> Result<u32> {\n    let tx = conn.transaction()?;\n    let n = count(&tx)?;\n    tx.rollback()?;\n    Ok(n)\n}\n";
        assert!(of_kind(dry_run).is_empty());
        let commit_on_drop = "fn f(conn: &mut Connection) {\n    let mut tx = conn.transaction().unwrap();\n    tx.set_drop_behavior(DropBehavior::Commit);\n    tx.rollback().unwrap();\n}\n";
        assert!(of_kind(commit_on_drop).is_empty());
        let not_last = "fn f(conn: &mut Connection) {\n    let tx = conn.transaction().unwrap();\n    tx.rollback().unwrap();\n    log();\n}\n";
        assert!(of_kind(not_last).is_empty());
    }
}
