//! Payment storage.

use rusqlite::{Connection, Result};

pub fn settle(conn: &mut Connection, id: i64) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute("UPDATE payments SET settled = 1 WHERE id = ?1", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(conn: &mut Connection) -> Result<()> {
        let tx = conn.transaction()?;
        if let Err(e) = tx.execute("INSERT INTO payments (id, settled) VALUES (1, 0)", []) {
            let _ = tx.rollback();
            return Err(e);
        }
        tx.commit()
    }

    #[test]
    fn settles() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE payments (id INTEGER, settled INTEGER)")
            .unwrap();
        seed(&mut conn).unwrap();
        settle(&mut conn, 1).unwrap();
    }
}
