//! Accounts on SQLite.

pub mod reports;

use rusqlite::{params, Connection, Result, Transaction};

/// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns
/// `Err`.
pub fn with_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction()?;
    match f(&tx) {
        Ok(value) => {
            tx.commit()?;
            Ok(value)
        }
        Err(e) => {
            let _ = tx.rollback();
            Err(e)
        }
    }
}

pub fn rename(conn: &mut Connection, id: i64, name: &str) -> Result<()> {
    with_tx(conn, |tx| {
        tx.execute(
            "UPDATE accounts SET owner = ?1 WHERE id = ?2",
            params![name, id],
        )?;
        Ok(())
    })
}

pub fn open_account(conn: &mut Connection, owner: &str) -> Result<i64> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(
        "INSERT INTO accounts (owner, balance) VALUES (?1, 0)",
        [owner],
    ) {
        let _ = tx.rollback();
        return Err(e);
    }
    let id = tx.last_insert_rowid();
    tx.commit()?;
    Ok(id)
}

pub fn transfer(conn: &mut Connection, from: i64, to: i64, amount: i64) -> Result<()> {
    let tx = conn.transaction()?;
    match tx.execute(
        "UPDATE accounts SET balance = balance - ?1 WHERE id = ?2",
        params![amount, from],
    ) {
        Ok(_) => {}
        Err(e) => {
            let _ = tx.rollback();
            return Err(e);
        }
    }
    // The credit: a plain `?` is all its error path needs.
    tx.execute(
        "UPDATE accounts SET balance = balance + ?1 WHERE id = ?2",
        params![amount, to],
    )?;
    tx.commit()
}

pub fn balances(conn: &mut Connection, a: i64, b: i64) -> Result<(i64, i64)> {
    let tx = conn.transaction()?;
    let first: i64 = match tx.query_row("SELECT balance FROM accounts WHERE id = ?1", [a], |r| {
        r.get(0)
    }) {
        Ok(v) => v,
        Err(e) => {
            let _ = tx.rollback();
            return Err(e);
        }
    };
    let second: i64 =
        tx.query_row("SELECT balance FROM accounts WHERE id = ?1", [b], |r| r.get(0))?;
    tx.commit()?;
    Ok((first, second))
}
