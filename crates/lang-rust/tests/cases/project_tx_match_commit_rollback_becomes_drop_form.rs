//! Bookmarks store: a project-defined transaction type that wraps rusqlite's.

use rusqlite::{Connection, Transaction};

pub struct Db {
    conn: Connection,
}

/// A write transaction on the bookmarks database.
pub struct BookmarksTx<'a> {
    inner: Transaction<'a>,
}

impl<'a> BookmarksTx<'a> {
    pub fn commit(self) -> rusqlite::Result<()> {
        self.inner.commit()
    }

    pub fn rollback(self) -> rusqlite::Result<()> {
        self.inner.rollback()
    }
}

impl Db {
    pub fn begin_transaction(&mut self) -> rusqlite::Result<BookmarksTx<'_>> {
        let inner = self.conn.transaction()?;
        Ok(BookmarksTx { inner })
    }
}

pub fn delete_bookmark(db: &mut Db, guid: &str) -> rusqlite::Result<()> {
    let tx = db.begin_transaction()?;
    let result = delete_bookmark_in_tx(&tx, guid);
    match result {
        Ok(_) => tx.commit()?,
        Err(_) => tx.rollback()?,
    }
    result
}

fn delete_bookmark_in_tx(tx: &BookmarksTx<'_>, guid: &str) -> rusqlite::Result<()> {
    tx.inner.execute("DELETE FROM bookmarks WHERE guid = ?1", [guid])?;
    Ok(())
}
