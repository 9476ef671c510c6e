use rusqlite::{params, Connection, Result};

pub fn move_item(conn: &mut Connection, id: i64, folder: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("UPDATE items SET folder = ?1 WHERE id = ?2", params![folder, id]) {
        // undo the partial move
        let _ = tx.rollback();
        return Err(e);
    }
    tx.execute("UPDATE folders SET count = count + 1 WHERE id = ?1", params![folder])?;
    tx.commit()
}

pub fn rename_item(conn: &mut Connection, id: i64, name: &str) -> Result<()> {
    let tx = conn.transaction()?;
    let renamed = tx.execute("UPDATE items SET name = ?1 WHERE id = ?2", params![name, id]);
    if renamed.is_err() {
        tx.rollback().ok();
        return renamed.map(|_| ());
    }
    tx.commit()?;
    Ok(())
}
