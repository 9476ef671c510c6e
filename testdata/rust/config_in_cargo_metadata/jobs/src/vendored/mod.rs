//! A vendored migration helper, kept byte for byte as upstream ships it.

use rusqlite::{Connection, Result};

pub fn migrate(conn: &mut Connection, steps: &[&str]) -> Result<()> {
    let tx = conn.transaction()?;
    for step in steps {
        if let Err(e) = tx.execute_batch(step) {
            tx.rollback()?;
            return Err(e);
        }
    }
    tx.commit()
}
