use rusqlite::{Connection, Result};

pub fn sync(conn: &mut Connection, log: &mut Vec<String>) -> Result<()> {
    let tx = conn.transaction()?;
    match tx.execute("UPDATE sync SET at = datetime('now')", []) {
        Ok(_) => tx.commit()?,
        Err(e) => {
            tx.rollback()?;
            log.push(e.to_string());
        }
    }
    log.push("sync attempted".into());
    Ok(())
}
