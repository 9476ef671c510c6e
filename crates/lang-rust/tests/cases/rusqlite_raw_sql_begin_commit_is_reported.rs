use rusqlite::{Connection, Result};

pub fn bulk_insert(conn: &Connection, names: &[&str]) -> Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE;")?;
    for name in names {
        conn.execute("INSERT INTO names (name) VALUES (?1)", [name])?;
    }
    conn.execute("COMMIT", [])?;
    Ok(())
}

pub fn reset(conn: &Connection) -> Result<()> {
    // Not transaction control: a table and a column named like keywords.
    conn.execute("UPDATE commit_log SET begin = 0", [])?;
    conn.execute_batch("begin transaction; delete from names; end transaction;")
}
