use rusqlite::{Connection, Result};

pub fn close_account(conn: &mut Connection, id: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("DELETE FROM accounts WHERE id = ?1", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
