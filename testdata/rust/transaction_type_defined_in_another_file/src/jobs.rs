//! Maintenance jobs.

use rusqlite::Result;

use crate::store::Db;

pub fn archive(db: &mut Db, id: i64) -> Result<()> {
    let mut tx = db.begin_transaction()?;
    if let Err(e) = tx.execute("UPDATE items SET archived = 1 WHERE id = ?1", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.commit()
}
