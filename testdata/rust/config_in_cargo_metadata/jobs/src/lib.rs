//! Account jobs on SQLite.

mod vendored;

use rusqlite::{Connection, Result};

/// Closes an account and records why.
pub fn close_account(conn: &mut Connection, id: i64, why: &str) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("UPDATE accounts SET closed = 1 WHERE id = ?1", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.execute(
        "INSERT INTO audit (account, why) VALUES (?1, ?2)",
        rusqlite::params![id, why],
    )?;
    tx.commit()
}
