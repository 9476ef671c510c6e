//! A unit-of-work type whose Drop impl rolls back.

pub struct UnitOfWork<'c> {
    conn: &'c Connection,
    done: bool,
}

impl UnitOfWork<'_> {
    pub fn commit(mut self) -> Result<(), Error> {
        self.conn.execute_batch("COMMIT")?;
        self.done = true;
        Ok(())
    }

    pub fn rollback(&mut self) -> Result<(), Error> {
        self.done = true;
        self.conn.execute_batch("ROLLBACK")
    }
}

impl Drop for UnitOfWork<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.rollback();
        }
    }
}

pub fn begin_unit(conn: &Connection) -> Result<UnitOfWork<'_>, Error> {
    conn.execute_batch("BEGIN")?;
    Ok(UnitOfWork { conn, done: false })
}

pub fn import(conn: &Connection, rows: &[Row]) -> Result<usize, Error> {
    let mut uow = begin_unit(conn)?;
    for row in rows {
        insert_row(conn, row).map_err(|e| {
            let _ = uow.rollback();
            e
        })?;
    }
    uow.commit()?;
    Ok(rows.len())
}
