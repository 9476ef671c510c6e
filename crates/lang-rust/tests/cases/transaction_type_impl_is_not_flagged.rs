//! The code that implements a transaction type and helpers: none of it is a finding.

use rusqlite::{Connection, Transaction};

pub struct Tx<'a> {
    conn: &'a Connection,
    open: bool,
}

impl<'a> Tx<'a> {
    pub fn begin(conn: &'a Connection) -> rusqlite::Result<Self> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Tx { conn, open: true })
    }

    pub fn commit(mut self) -> rusqlite::Result<()> {
        self.open = false;
        self.conn.execute_batch("COMMIT")
    }

    pub fn rollback(mut self) -> rusqlite::Result<()> {
        self.open = false;
        self.conn.execute_batch("ROLLBACK")
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Runs `f` in a transaction: commits on `Ok`, rolls back on `Err`.
pub fn with_transaction<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let tx = conn.transaction()?;
    match f(&tx) {
        Ok(value) => {
            tx.commit()?;
            Ok(value)
        }
        Err(e) => {
            tx.rollback()?;
            Err(e)
        }
    }
}

pub fn open_write(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    let tx = conn.transaction()?;
    tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    Ok(tx)
}
