//! Stock levels on SQLite.

use rusqlite::{Connection, Result, Transaction};

pub fn with_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction()?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

pub fn in_transaction<T, F>(conn: &mut Connection, f: F) -> Result<T>
where
    F: FnOnce(&Transaction<'_>) -> Result<T>,
{
    let tx = conn.transaction()?;
    match f(&tx) {
        Ok(value) => {
            tx.commit()?;
            Ok(value)
        }
        Err(e) => {
            tx.rollback()?;
            Err(e)
        }
    }
}

pub fn reserve(conn: &mut Connection, item: i64) -> Result<()> {
    with_tx(conn, |tx| {
        tx.execute("UPDATE stock SET reserved = reserved + 1 WHERE item = ?1", [item])?;
        Ok(())
    })
}

pub fn release(conn: &mut Connection, item: i64) -> Result<()> {
    in_transaction(conn, |tx| {
        tx.execute("UPDATE stock SET reserved = reserved - 1 WHERE item = ?1", [item])?;
        Ok(())
    })
}

pub fn restock(conn: &mut Connection, item: i64, count: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(
        "UPDATE stock SET level = level + ?1 WHERE item = ?2",
        [count, item],
    ) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
