use rusqlite::{Connection, Result};

pub fn touch(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute("UPDATE meta SET touched = 1", [])?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touch_is_undone_by_rollback() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute("UPDATE meta SET touched = 1", []).unwrap();
        let _ = tx.rollback();
    }
}
