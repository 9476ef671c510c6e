//! Batch jobs that drive SQLite transactions as SQL text.

use rusqlite::{Connection, Result};

/// Runs the nightly batch in one transaction; the batch tool needs `BEGIN IMMEDIATE`.
pub fn nightly(conn: &Connection) -> Result<()> {
    // codemod: ignore[RS003]
    conn.execute_batch("BEGIN IMMEDIATE")?;
    conn.execute("DELETE FROM sessions WHERE expired = 1", [])?;
    conn.execute_batch("COMMIT")
}
