use rusqlite::{Connection, Result};

/// Counts what a purge would delete, without deleting it.
pub fn purge_preview(conn: &mut Connection, days: u32) -> Result<usize> {
    let tx = conn.transaction()?;
    let n = tx.execute("DELETE FROM visits WHERE age > ?1", [days])?;
    tx.rollback()?;
    Ok(n)
}
