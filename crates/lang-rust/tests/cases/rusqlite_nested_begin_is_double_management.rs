use rusqlite::{Connection, Result};

pub fn copy_settings(conn: &Connection) -> Result<()> {
    let outer = conn.unchecked_transaction()?;
    outer.execute("DELETE FROM settings_copy", [])?;
    let inner = conn.unchecked_transaction()?;
    inner.execute("INSERT INTO settings_copy SELECT * FROM settings", [])?;
    inner.commit()?;
    outer.commit()
}

pub fn two_steps(conn: &Connection) -> Result<()> {
    let first = conn.unchecked_transaction()?;
    first.execute("DELETE FROM a", [])?;
    first.commit()?;
    let second = conn.unchecked_transaction()?;
    second.execute("DELETE FROM b", [])?;
    second.commit()
}
