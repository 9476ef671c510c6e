//! Ledger entries, kept in SQLite.

use rusqlite::{params, Connection, Result};

/// Records a payment; the entry and the balance change commit together.
pub fn record_payment(conn: &mut Connection, account: i64, cents: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(
        "INSERT INTO entries (account, cents) VALUES (?1, ?2)",
        params![account, cents],
    ) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.execute(
        "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1",
        params![account, cents],
    )?;
    tx.commit()
}
