//! Transfers between accounts on an async sqlx pool.

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::LedgerError;

/// The balance of `account`, read inside `tx`.
async fn balance_in(tx: &mut Transaction<'_, Sqlite>, account: i64) -> Result<i64, LedgerError> {
    sqlx::query_scalar("SELECT balance FROM accounts WHERE id = ?")
        .bind(account)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(LedgerError::UnknownAccount(account))
}

/// Move `amount` cents from one account to another; returns the transfer id.
pub async fn transfer(
    pool: &SqlitePool,
    from: i64,
    to: i64,
    amount: i64,
) -> Result<i64, LedgerError> {
    if amount <= 0 {
        return Err(LedgerError::InvalidAmount(amount));
    }
    let mut tx = pool.begin().await?;
    let balance = balance_in(&mut tx, from).await?;
    if balance < amount {
        tx.rollback().await?;
        return Err(LedgerError::InsufficientFunds {
            account: from,
            balance,
            amount,
        });
    }
    sqlx::query("UPDATE accounts SET balance = balance - ? WHERE id = ?")
        .bind(amount)
        .bind(from)
        .execute(&mut *tx)
        .await?;
    let credited = sqlx::query("UPDATE accounts SET balance = balance + ? WHERE id = ?")
        .bind(amount)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    if credited.rows_affected() == 0 {
        tx.rollback().await?;
        return Err(LedgerError::UnknownAccount(to));
    }
    let id = sqlx::query(
        "INSERT INTO transfers (from_account, to_account, amount, state) VALUES (?, ?, ?, 'done')",
    )
    .bind(from)
    .bind(to)
    .bind(amount)
    .execute(&mut *tx)
    .await?
    .last_insert_rowid();
    tx.commit().await?;
    Ok(id)
}

/// Credit `amount` cents to `account` with a ledger entry saying why.
pub async fn deposit(
    pool: &SqlitePool,
    account: i64,
    amount: i64,
    memo: &str,
) -> Result<(), LedgerError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE accounts SET balance = balance + ? WHERE id = ?")
        .bind(amount)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    let entry = sqlx::query("INSERT INTO entries (account_id, amount, memo) VALUES (?, ?, ?)")
        .bind(account)
        .bind(amount)
        .bind(memo)
        .execute(&mut *tx)
        .await;
    if let Err(e) = entry {
        tx.rollback().await.ok();
        return Err(e.into());
    }
    tx.commit().await?;
    Ok(())
}

async fn settle_within(
    tx: &mut Transaction<'_, Sqlite>,
    transfer: i64,
) -> Result<i64, LedgerError> {
    let (from, to, amount): (i64, i64, i64) = sqlx::query_as(
        "SELECT from_account, to_account, amount FROM transfers WHERE id = ? AND state = 'pending'",
    )
    .bind(transfer)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(LedgerError::UnknownTransfer(transfer))?;
    for (account, delta) in [(from, -amount), (to, amount)] {
        sqlx::query("UPDATE accounts SET balance = balance + ? WHERE id = ?")
            .bind(delta)
            .bind(account)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE transfers SET state = 'done' WHERE id = ?")
        .bind(transfer)
        .execute(&mut **tx)
        .await?;
    Ok(amount)
}

/// Carry out a pending transfer; returns the amount moved.
pub async fn settle_transfer(pool: &SqlitePool, transfer: i64) -> Result<i64, LedgerError> {
    let mut tx = pool.begin().await?;
    match settle_within(&mut tx, transfer).await {
        Ok(amount) => {
            tx.commit().await?;
            Ok(amount)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// What charging every open account a monthly `fee` would collect, computed by charging
/// it inside a transaction that is always thrown away. Fails when the total would be
/// over `limit`.
pub async fn preview_fee_run(pool: &SqlitePool, fee: i64, limit: i64) -> Result<i64, LedgerError> {
    let mut tx = pool.begin().await?;
    let charged = sqlx::query(
        "UPDATE accounts SET balance = balance - ? WHERE status = 'open' AND balance >= ?",
    )
    .bind(fee)
    .bind(fee)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let total = charged as i64 * fee;
    if total > limit {
        tx.rollback().await?;
        return Err(LedgerError::OverLimit { total, limit });
    }
    // A preview never keeps what it wrote.
    tx.rollback().await?;
    Ok(total)
}

/// Cancel a pending transfer; returns false when it was no longer pending.
pub async fn cancel_transfer(pool: &SqlitePool, transfer: i64) -> Result<bool, LedgerError> {
    let mut tx = pool.begin().await?;
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM transfers WHERE id = ?")
        .bind(transfer)
        .fetch_optional(&mut *tx)
        .await?;
    let state = state.ok_or(LedgerError::UnknownTransfer(transfer))?;
    sqlx::query("INSERT INTO audit_log (action, detail) VALUES ('cancel', ?)")
        .bind(transfer.to_string())
        .execute(&mut *tx)
        .await?;
    if state != "pending" {
        return Ok(false);
    }
    sqlx::query("UPDATE transfers SET state = 'cancelled' WHERE id = ?")
        .bind(transfer)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Recompute every balance from the entries, on one connection, for the nightly check.
pub async fn rebuild_balances(conn: &mut SqliteConnection) -> Result<(), LedgerError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    sqlx::query(
        "UPDATE accounts SET balance = \
         (SELECT COALESCE(SUM(amount), 0) FROM entries WHERE account_id = accounts.id)",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(())
}
