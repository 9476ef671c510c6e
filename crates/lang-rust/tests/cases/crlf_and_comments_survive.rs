use rusqlite::{Connection, Result};

/// Saves a batch of tags.
pub fn save_tags(conn: &mut Connection, tags: &[String]) -> Result<()> {
	let tx = conn.transaction()?; // one transaction for the batch

	let result = insert_tags(&tx, tags);
	match result {
		Ok(_) => tx.commit()?,
		Err(_) => tx.rollback()?,
	}
	/* the caller reports the error */
	result
}

pub fn drop_tag(conn: &mut Connection, tag: &str) -> Result<()> {
	let tx = conn.transaction()?;
	if let Err(e) = tx.execute("DELETE FROM tags WHERE name = ?1", [tag]) {
		tx.rollback()?; // keep the table as it was
		return Err(e);
	}
	tx.commit()
}
