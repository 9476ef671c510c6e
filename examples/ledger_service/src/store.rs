//! The service's own transaction type on top of rusqlite, and the maintenance jobs that
//! use it.
//!
//! [`StoreTx`] begins with `BEGIN IMMEDIATE`, so that two writers queue on the database
//! lock instead of one of them failing at its first write. Dropping an unfinished
//! `StoreTx` rolls it back.

use rusqlite::{Connection, OptionalExtension, Params};

use crate::LedgerError;

/// The ledger database as the maintenance jobs see it.
pub struct Store<'c> {
    conn: &'c Connection,
}

/// A write transaction on a [`Store`].
pub struct StoreTx<'c> {
    conn: &'c Connection,
    finished: bool,
}

impl<'c> Store<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        Store { conn }
    }

    /// Begin a write transaction.
    pub fn begin_transaction(&self) -> Result<StoreTx<'c>, LedgerError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(StoreTx {
            conn: self.conn,
            finished: false,
        })
    }
}

impl StoreTx<'_> {
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize, LedgerError> {
        Ok(self.conn.execute(sql, params)?)
    }

    /// The single integer a query returns, if it returns a row.
    pub fn query_i64<P: Params>(&self, sql: &str, params: P) -> Result<Option<i64>, LedgerError> {
        Ok(self
            .conn
            .query_row(sql, params, |row| row.get(0))
            .optional()?)
    }

    pub fn commit(mut self) -> Result<(), LedgerError> {
        self.conn.execute_batch("COMMIT")?;
        self.finished = true;
        Ok(())
    }

    /// Undo everything since the begin. Safe to call twice.
    pub fn rollback(&mut self) -> Result<(), LedgerError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.conn.execute_batch("ROLLBACK")?;
        Ok(())
    }
}

impl Drop for StoreTx<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.rollback();
        }
    }
}

/// Freeze an account: no money moves in or out until it is reopened.
pub fn freeze_account(conn: &mut Connection, account: i64, why: &str) -> Result<(), LedgerError> {
    let store = Store::new(conn);
    let mut tx = store.begin_transaction()?;
    let changed = tx
        .execute(
            "UPDATE accounts SET status = 'frozen' WHERE id = ?1 AND status = 'open'",
            [account],
        )
        .map_err(|e| {
            let _ = tx.rollback();
            e
        })?;
    if changed == 0 {
        let _ = tx.rollback();
        return Err(LedgerError::UnknownAccount(account));
    }
    tx.execute(
        "INSERT INTO audit_log (action, detail) VALUES ('freeze', ?1)",
        [format!("{account}: {why}")],
    )?;
    tx.commit()
}

/// Fold `from` into `into`: its entries and balance move over and `from` is closed.
pub fn merge_accounts(conn: &mut Connection, from: i64, into: i64) -> Result<i64, LedgerError> {
    let store = Store::new(conn);
    let mut tx = store.begin_transaction()?;
    let Some(balance) = tx.query_i64("SELECT balance FROM accounts WHERE id = ?1", [from])? else {
        return Err(LedgerError::UnknownAccount(from));
    };
    if let Err(e) = tx.execute(
        "UPDATE entries SET account_id = ?1 WHERE account_id = ?2",
        [into, from],
    ) {
        tx.rollback()?;
        return Err(e);
    }
    let credited = tx.execute(
        "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2",
        [balance, into],
    )?;
    if credited == 0 {
        tx.rollback()?;
        return Err(LedgerError::UnknownAccount(into));
    }
    tx.execute(
        "UPDATE accounts SET balance = 0, status = 'closed' WHERE id = ?1",
        [from],
    )?;
    tx.commit()?;
    Ok(balance)
}
