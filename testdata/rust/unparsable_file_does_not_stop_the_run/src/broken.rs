use rusqlite::{Connection, Result};

pub fn half_written(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute("UPDATE accounts SET", [])?
    tx.commit(
}
