//! A small double-entry ledger service on SQLite.
//!
//! - [`accounts`]: opening, closing and debiting accounts on a blocking rusqlite
//!   connection.
//! - [`transfers`]: moving money between accounts on an async sqlx pool.
//! - [`store`]: the service's own transaction type on top of rusqlite, and the
//!   maintenance jobs that use it.
//! - [`import`]: bulk loading of ledger entries from upstream files.
//!
//! Amounts are integer cents. Every balance change is written together with a row in
//! `entries`, so that the balance of an account is always the sum of its entries.

pub mod accounts;
pub mod error;
pub mod import;
pub mod store;
pub mod transfers;

pub use error::LedgerError;

/// The ledger's tables.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id      INTEGER PRIMARY KEY,
    owner   TEXT    NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    status  TEXT    NOT NULL DEFAULT 'open'
);
CREATE TABLE IF NOT EXISTS entries (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    amount     INTEGER NOT NULL,
    memo       TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS transfers (
    id           INTEGER PRIMARY KEY,
    from_account INTEGER NOT NULL REFERENCES accounts (id),
    to_account   INTEGER NOT NULL REFERENCES accounts (id),
    amount       INTEGER NOT NULL CHECK (amount > 0),
    state        TEXT    NOT NULL DEFAULT 'pending'
);
CREATE TABLE IF NOT EXISTS audit_log (
    id     INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
";

/// Create the ledger tables if they do not exist yet.
pub fn create_schema(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}
