//! Order storage.

use rusqlite::{Connection, Result};

pub fn archive(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("DELETE FROM orders WHERE done = 1", []) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
