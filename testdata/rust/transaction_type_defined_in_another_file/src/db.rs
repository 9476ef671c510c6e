//! The service's transaction type: a rusqlite transaction that counts its writes.

use rusqlite::{Params, Result, Transaction};

pub struct AppTx<'c> {
    pub(crate) inner: Transaction<'c>,
    pub writes: usize,
}

impl AppTx<'_> {
    pub fn execute<P: Params>(&mut self, sql: &str, params: P) -> Result<usize> {
        let n = self.inner.execute(sql, params)?;
        self.writes += n;
        Ok(n)
    }

    pub fn commit(self) -> Result<()> {
        self.inner.commit()
    }

    pub fn rollback(self) -> Result<()> {
        self.inner.rollback()
    }
}
