//! Where transactions come from.

use rusqlite::{Connection, Result};

use crate::db::AppTx;

pub struct Db {
    conn: Connection,
}

impl Db {
    pub fn new(conn: Connection) -> Self {
        Db { conn }
    }

    pub fn begin_transaction(&mut self) -> Result<AppTx<'_>> {
        Ok(AppTx {
            inner: self.conn.transaction()?,
            writes: 0,
        })
    }
}
