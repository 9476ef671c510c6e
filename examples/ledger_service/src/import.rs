//! Bulk loading of ledger entries from upstream files.
//!
//! An import is staged in one transaction: [`ImportBatch`] owns it until the caller has
//! checked the staged rows and calls [`ImportBatch::finish`].

use rusqlite::{params, Connection, Transaction};

use crate::LedgerError;

/// Entries staged for one account, not yet committed.
pub struct ImportBatch<'c> {
    tx: Transaction<'c>,
    account: i64,
    staged: usize,
}

impl ImportBatch<'_> {
    pub fn stage(&mut self, amount: i64, memo: &str) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT INTO entries (account_id, amount, memo) VALUES (?1, ?2, ?3)",
            params![self.account, amount, memo],
        )?;
        self.staged += 1;
        Ok(())
    }

    /// Commit the staged entries; returns how many there were.
    pub fn finish(self) -> Result<usize, LedgerError> {
        self.tx.commit()?;
        Ok(self.staged)
    }
}

/// Start staging entries for `account`.
pub fn prepare_import(conn: &mut Connection, account: i64) -> Result<ImportBatch<'_>, LedgerError> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(
        "INSERT INTO audit_log (action, detail) VALUES ('import', ?1)",
        [account.to_string()],
    ) {
        tx.rollback()?;
        return Err(e.into());
    }
    Ok(ImportBatch {
        tx,
        account,
        staged: 0,
    })
}

/// A transaction whose foreign keys are checked only at commit, for loading rows in any
/// order. The caller commits it.
pub fn deferred_checks(conn: &mut Connection) -> Result<Transaction<'_>, LedgerError> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute_batch("PRAGMA defer_foreign_keys = ON") {
        tx.rollback()?;
        return Err(e.into());
    }
    Ok(tx)
}

/// Load entries for `account` in one deferred-checks transaction.
pub fn load_entries(
    conn: &mut Connection,
    account: i64,
    amounts: &[i64],
) -> Result<usize, LedgerError> {
    let tx = deferred_checks(conn)?;
    match insert_entries(&tx, account, amounts) {
        Ok(n) => finish_load(tx, n),
        Err(e) => {
            tx.rollback()?;
            Err(e)
        }
    }
}

fn insert_entries(
    tx: &Transaction<'_>,
    account: i64,
    amounts: &[i64],
) -> Result<usize, LedgerError> {
    for amount in amounts {
        tx.execute(
            "INSERT INTO entries (account_id, amount, memo) VALUES (?1, ?2, 'import')",
            params![account, amount],
        )?;
    }
    Ok(amounts.len())
}

fn finish_load(tx: Transaction<'_>, loaded: usize) -> Result<usize, LedgerError> {
    tx.execute(
        "INSERT INTO audit_log (action, detail) VALUES ('load', ?1)",
        [loaded.to_string()],
    )?;
    tx.commit()?;
    Ok(loaded)
}

/// Post entries from an upstream file, which ends at its first zero amount.
pub fn post_entries(
    conn: &mut Connection,
    account: i64,
    amounts: &[i64],
) -> Result<usize, LedgerError> {
    let tx = conn.transaction()?;
    let mut posted = 0;
    for &amount in amounts {
        if amount == 0 {
            return Ok(posted);
        }
        tx.execute(
            "INSERT INTO entries (account_id, amount, memo) VALUES (?1, ?2, 'upstream')",
            params![account, amount],
        )?;
        posted += 1;
    }
    tx.commit()?;
    Ok(posted)
}

/// Replay a journal of raw balance changes exported by the old system.
pub fn replay_journal(conn: &Connection, changes: &[(i64, i64)]) -> Result<(), LedgerError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    for (account, delta) in changes {
        conn.execute(
            "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2",
            params![delta, account],
        )?;
    }
    conn.execute_batch("COMMIT")?;
    Ok(())
}
