use rusqlite::{Connection, DropBehavior, Result};

pub fn record_visit(conn: &mut Connection, url: &str) -> Result<()> {
    let mut tx = conn.transaction()?;
    tx.set_drop_behavior(DropBehavior::Commit);
    match tx.execute("INSERT INTO visits (url) VALUES (?1)", [url]) {
        Ok(_) => tx.commit()?,
        Err(_) => tx.rollback()?,
    }
    Ok(())
}

pub fn preview_cleanup(conn: &mut Connection) -> Result<()> {
    let mut tx = conn.transaction()?;
    tx.set_drop_behavior(DropBehavior::Ignore);
    tx.execute("DELETE FROM visits WHERE age > 90", [])?;
    tx.rollback()?;
    Ok(())
}
