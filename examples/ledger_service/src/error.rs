//! The error type of every ledger operation.

use std::fmt;

/// Why a ledger operation failed.
#[derive(Debug)]
pub enum LedgerError {
    /// The blocking driver failed (constraint, I/O, busy database, ...).
    Sqlite(rusqlite::Error),
    /// The async driver failed.
    Sqlx(sqlx::Error),
    UnknownAccount(i64),
    UnknownTransfer(i64),
    /// Amounts are positive cents.
    InvalidAmount(i64),
    InsufficientFunds {
        account: i64,
        balance: i64,
        amount: i64,
    },
    /// Only an account with a zero balance can be closed.
    BalanceNotZero {
        account: i64,
        balance: i64,
    },
    /// A preview run would go over the limit it was given.
    OverLimit {
        total: i64,
        limit: i64,
    },
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Sqlite(e) => write!(f, "database error: {e}"),
            LedgerError::Sqlx(e) => write!(f, "database error: {e}"),
            LedgerError::UnknownAccount(id) => write!(f, "no account {id}"),
            LedgerError::UnknownTransfer(id) => write!(f, "no transfer {id}"),
            LedgerError::InvalidAmount(a) => write!(f, "invalid amount {a}"),
            LedgerError::InsufficientFunds {
                account,
                balance,
                amount,
            } => write!(
                f,
                "account {account} has {balance} cents, {amount} were asked for"
            ),
            LedgerError::BalanceNotZero { account, balance } => {
                write!(f, "account {account} still holds {balance} cents")
            }
            LedgerError::OverLimit { total, limit } => {
                write!(
                    f,
                    "the run would total {total} cents, over the limit of {limit}"
                )
            }
        }
    }
}

impl std::error::Error for LedgerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LedgerError::Sqlite(e) => Some(e),
            LedgerError::Sqlx(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Sqlite(e)
    }
}

impl From<sqlx::Error> for LedgerError {
    fn from(e: sqlx::Error) -> Self {
        LedgerError::Sqlx(e)
    }
}
