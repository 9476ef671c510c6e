//! Account lifecycle on a blocking rusqlite connection.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::LedgerError;

/// The balance of `account`, read inside `tx`.
fn balance_in(tx: &Transaction<'_>, account: i64) -> Result<i64, LedgerError> {
    tx.query_row(
        "SELECT balance FROM accounts WHERE id = ?1",
        [account],
        |row| row.get(0),
    )
    .optional()?
    .ok_or(LedgerError::UnknownAccount(account))
}

/// Open an account for `owner` with an opening deposit; returns the new account id.
pub fn open_account(
    conn: &mut Connection,
    owner: &str,
    opening_deposit: i64,
) -> Result<i64, LedgerError> {
    if opening_deposit < 0 {
        return Err(LedgerError::InvalidAmount(opening_deposit));
    }
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO accounts (owner, balance) VALUES (?1, ?2)",
        params![owner, opening_deposit],
    )?;
    let id = tx.last_insert_rowid();
    if let Err(e) = tx.execute(
        "INSERT INTO entries (account_id, amount, memo) VALUES (?1, ?2, 'opening deposit')",
        params![id, opening_deposit],
    ) {
        // An account must never exist without its opening entry.
        let _ = tx.rollback();
        return Err(e.into());
    }
    tx.commit()?;
    Ok(id)
}

/// Close an account whose balance is zero, and note it in the audit log.
pub fn close_account(conn: &mut Connection, account: i64) -> Result<(), LedgerError> {
    let tx = conn.transaction()?;
    let result = close_within(&tx, account);
    match result {
        Ok(_) => tx.commit()?,
        Err(_) => tx.rollback()?,
    }
    result
}

fn close_within(tx: &Transaction<'_>, account: i64) -> Result<(), LedgerError> {
    let balance = balance_in(tx, account)?;
    if balance != 0 {
        return Err(LedgerError::BalanceNotZero { account, balance });
    }
    tx.execute(
        "UPDATE accounts SET status = 'closed' WHERE id = ?1",
        [account],
    )?;
    tx.execute(
        "INSERT INTO audit_log (action, detail) VALUES ('close', ?1)",
        [account.to_string()],
    )?;
    Ok(())
}

/// The sum of all balances, read inside `tx`.
fn total_balance(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row(
        "SELECT COALESCE(SUM(balance), 0) FROM accounts",
        [],
        |row| row.get(0),
    )
}

/// Take `amount` cents out of `account`; returns the balance left.
pub fn withdraw(conn: &mut Connection, account: i64, amount: i64) -> Result<i64, LedgerError> {
    if amount <= 0 {
        return Err(LedgerError::InvalidAmount(amount));
    }
    let tx = conn.transaction()?;
    let balance = balance_in(&tx, account)?;
    if balance < amount {
        tx.rollback()?;
        return Err(LedgerError::InsufficientFunds {
            account,
            balance,
            amount,
        });
    }
    tx.execute(
        "UPDATE accounts SET balance = balance - ?1 WHERE id = ?2",
        params![amount, account],
    )?;
    tx.execute(
        "INSERT INTO entries (account_id, amount, memo) VALUES (?1, ?2, 'withdrawal')",
        params![account, -amount],
    )?;
    tx.commit()?;
    Ok(balance - amount)
}

/// What a month-end interest run at `rate_basis_points` would pay in total, computed by
/// paying it inside a transaction that is always thrown away. Fails when the total would
/// be over `limit`.
pub fn preview_interest(
    conn: &mut Connection,
    rate_basis_points: i64,
    limit: i64,
) -> Result<i64, LedgerError> {
    let tx = conn.transaction()?;
    let before = total_balance(&tx)?;
    tx.execute(
        "UPDATE accounts SET balance = balance + balance * ?1 / 10000 WHERE status = 'open'",
        [rate_basis_points],
    )?;
    let total = total_balance(&tx)? - before;
    if total > limit {
        let _ = tx.rollback();
        return Err(LedgerError::OverLimit { total, limit });
    }
    // A preview never keeps what it wrote.
    tx.rollback()?;
    Ok(total)
}

/// Move an account and everything it references to the archive state. The audit row was
/// meant to land even if archiving fails, so it got a transaction of its own.
pub fn archive_account(conn: &Connection, account: i64) -> Result<(), LedgerError> {
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE accounts SET status = 'archived' WHERE id = ?1",
        [account],
    )?;
    let audit = conn.unchecked_transaction()?;
    audit.execute(
        "INSERT INTO audit_log (action, detail) VALUES ('archive', ?1)",
        [account.to_string()],
    )?;
    audit.commit()?;
    tx.commit()?;
    Ok(())
}
