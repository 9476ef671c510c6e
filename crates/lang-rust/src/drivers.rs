//! Method tables of the database drivers: which calls begin a transaction, what the
//! transaction does when dropped, and which calls send SQL text.

/// A driver call that returns a transaction guard value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardBegin {
    /// Which driver(s) have this call shape.
    pub driver: &'static str,
    /// True when dropping the returned value without commit rolls back.
    pub drop_rolls_back: bool,
}

/// Begin calls, by method name, argument count and whether `.await` follows the call.
const GUARD_BEGINS: &[(&str, usize, bool, GuardBegin)] = &[
    (
        "transaction",
        0,
        false,
        GuardBegin {
            driver: "rusqlite or postgres",
            drop_rolls_back: true,
        },
    ),
    (
        "transaction",
        0,
        true,
        GuardBegin {
            driver: "tokio-postgres",
            drop_rolls_back: true,
        },
    ),
    (
        "unchecked_transaction",
        0,
        false,
        GuardBegin {
            driver: "rusqlite",
            drop_rolls_back: true,
        },
    ),
    (
        "transaction_with_behavior",
        1,
        false,
        GuardBegin {
            driver: "rusqlite",
            drop_rolls_back: true,
        },
    ),
    (
        "savepoint",
        0,
        false,
        GuardBegin {
            driver: "rusqlite",
            drop_rolls_back: true,
        },
    ),
    (
        "begin",
        0,
        true,
        GuardBegin {
            driver: "sqlx or sea-orm",
            drop_rolls_back: true,
        },
    ),
];

/// Begin methods that codebases define themselves; when their definition is not in the
/// file the drop behaviour of what they return is unknown.
const PROJECT_BEGINS: &[&str] = &[
    "begin_transaction",
    "begin_tx",
    "start_transaction",
    "begin_txn",
];

/// The driver guard begun by `receiver.method(args..)` (`.await` when `awaited`), if any.
pub fn guard_begin(method: &str, args: usize, awaited: bool) -> Option<GuardBegin> {
    GUARD_BEGINS
        .iter()
        .find(|(m, n, a, _)| *m == method && *n == args && *a == awaited)
        .map(|(_, _, _, g)| *g)
}

/// True for begin method names a project defines itself (`begin_transaction`).
pub fn is_project_begin_name(method: &str) -> bool {
    PROJECT_BEGINS.contains(&method)
}

/// True for begins that take a connection exclusively: a second begin on the same receiver
/// while the first transaction is open is an error. `begin()` is left out: on a pool it
/// hands out a fresh connection.
pub fn begins_on_connection(method: &str) -> bool {
    matches!(
        method,
        "transaction" | "unchecked_transaction" | "transaction_with_behavior"
    )
}

/// Closure APIs that commit when the closure returns `Ok` and roll back on `Err`
/// (diesel `conn.transaction(|conn| ..)`, sea-orm `db.transaction(|txn| Box::pin(..))`).
pub fn is_closure_api(method: &str) -> bool {
    matches!(method, "transaction")
}

/// Driver type names whose drop rolls back an uncommitted transaction.
pub fn is_driver_transaction_type(name: &str) -> bool {
    matches!(name, "Transaction" | "DatabaseTransaction" | "Savepoint")
}

/// Methods that run SQL text given as their first argument, and the transaction API of
/// the driver they belong to.
const SQL_METHODS: &[(&str, &str)] = &[
    (
        "execute_batch",
        "rusqlite's `conn.transaction()` and `tx.commit()`",
    ),
    (
        "batch_execute",
        "postgres' `client.transaction()` and `tx.commit()`",
    ),
    (
        "simple_query",
        "postgres' `client.transaction()` and `tx.commit()`",
    ),
    (
        "execute_unprepared",
        "sea-orm's `db.begin().await` and `txn.commit().await`",
    ),
    (
        "execute",
        "the driver's transaction API (`conn.transaction()` and `tx.commit()`)",
    ),
    (
        "query",
        "the driver's transaction API (`conn.transaction()` and `tx.commit()`)",
    ),
];

/// The transaction API to name for SQL sent through `conn.method("...")`.
pub fn sql_method_api(method: &str) -> Option<&'static str> {
    SQL_METHODS
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, api)| *api)
}

/// Free functions that build a query from SQL text (`sqlx::query("..")`), and the API to name.
pub fn sql_function_api(name: &str) -> Option<&'static str> {
    match name {
        "query" | "raw_sql" | "query_as" | "query_scalar" => {
            Some("sqlx's `pool.begin().await` and `tx.commit().await`")
        }
        "sql_query" => Some("diesel's `conn.transaction(|conn| ..)`"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn begin_table() {
        assert!(guard_begin("transaction", 0, false).is_some());
        assert_eq!(
            guard_begin("transaction", 0, true).unwrap().driver,
            "tokio-postgres"
        );
        assert!(guard_begin("begin", 0, true).is_some());
        assert!(
            guard_begin("begin", 0, false).is_none(),
            "a sync begin() is not a known driver call"
        );
        assert!(
            guard_begin("transaction", 1, false).is_none(),
            "the closure API is not a guard"
        );
        assert!(is_project_begin_name("begin_transaction"));
        assert!(!begins_on_connection("begin"));
    }

    #[test]
    fn sql_tables() {
        assert!(sql_method_api("execute_batch")
            .unwrap()
            .contains("rusqlite"));
        assert!(sql_method_api("prepare").is_none());
        assert!(sql_function_api("query").unwrap().contains("sqlx"));
        assert!(sql_function_api("format").is_none());
    }
}
