//! Month-end reports.

use rusqlite::{Connection, Result};

use crate::with_tx;

pub fn reopen_month(conn: &mut Connection, month: &str) -> Result<()> {
    with_tx(conn, |tx| {
        tx.execute("DELETE FROM closed_months WHERE month = ?1", [month])?;
        Ok(())
    })
}

pub fn close_month(conn: &mut Connection, month: &str) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("INSERT INTO closed_months (month) VALUES (?1)", [month]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.execute(
        "UPDATE accounts SET frozen = 1 WHERE opened < ?1",
        [month],
    )?;
    tx.commit()
}
