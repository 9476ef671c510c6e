use rusqlite::{Connection, Result, Transaction};

pub struct Session<'a> {
    tx: Transaction<'a>,
}

pub fn open_session(conn: &mut Connection) -> Result<Session<'_>> {
    let tx = conn.unchecked_transaction()?;
    if let Err(e) = tx.execute_batch("PRAGMA foreign_keys = ON") {
        tx.rollback()?;
        return Err(e);
    }
    Ok(Session { tx })
}

pub fn hand_off(conn: &mut Connection, queue: &mut Vec<Transaction<'_>>) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    if tx.execute("DELETE FROM jobs", []).is_err() {
        let _ = tx.rollback();
        return Ok(());
    }
    queue.push(tx);
    Ok(())
}

pub fn finish_elsewhere(conn: &Connection) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    match tx.execute("DELETE FROM jobs", []) {
        Ok(_) => finish(tx),
        Err(e) => {
            tx.rollback()?;
            Err(e)
        }
    }
}

pub fn in_background(conn: &'static Connection) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    std::thread::spawn(move || {
        if tx.execute("DELETE FROM jobs", []).is_err() {
            let _ = tx.rollback();
        } else {
            let _ = tx.commit();
        }
    });
    Ok(())
}
