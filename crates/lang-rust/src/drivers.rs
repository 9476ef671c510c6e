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

/// A driver that runs SQL text: its crate, the calls that send SQL text given as their
/// first argument, and its transaction API (None: it has none).
struct SqlDriver {
    krate: &'static str,
    name: &'static str,
    methods: &'static [&'static str],
    functions: &'static [&'static str],
    api: Option<&'static str>,
}

const SQL_DRIVERS: &[SqlDriver] = &[
    SqlDriver {
        krate: "rusqlite",
        name: "rusqlite",
        methods: &["execute_batch", "execute"],
        functions: &[],
        api: Some("rusqlite's `conn.transaction()` and `tx.commit()`"),
    },
    SqlDriver {
        krate: "postgres",
        name: "postgres",
        methods: &["batch_execute", "simple_query", "execute", "query"],
        functions: &[],
        api: Some("postgres' `client.transaction()` and `tx.commit()`"),
    },
    SqlDriver {
        krate: "tokio_postgres",
        name: "tokio-postgres",
        methods: &["batch_execute", "simple_query", "execute", "query"],
        functions: &[],
        api: Some("tokio-postgres' `client.transaction().await` and `tx.commit().await`"),
    },
    SqlDriver {
        krate: "tiberius",
        name: "tiberius",
        methods: &["simple_query", "execute", "query"],
        functions: &[],
        api: None,
    },
    SqlDriver {
        krate: "sea_orm",
        name: "sea-orm",
        methods: &["execute_unprepared"],
        functions: &[],
        api: Some("sea-orm's `db.begin().await` and `txn.commit().await`"),
    },
    SqlDriver {
        krate: "sqlx",
        name: "sqlx",
        methods: &["execute"],
        functions: &["query", "raw_sql", "query_as", "query_scalar"],
        api: Some("sqlx's `pool.begin().await` and `tx.commit().await`"),
    },
    SqlDriver {
        krate: "diesel",
        name: "diesel",
        methods: &["batch_execute"],
        functions: &["sql_query"],
        api: Some("diesel's `conn.transaction(|conn| ..)`"),
    },
];

/// How SQL text is sent: `conn.name("..")` or `name("..")` (a function or macro).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlCall {
    Method,
    Function,
}

/// True when some driver's `name` sends SQL text given as its first argument.
pub fn sends_sql(name: &str, call: SqlCall) -> bool {
    SQL_DRIVERS.iter().any(|d| match call {
        SqlCall::Method => d.methods.contains(&name),
        SqlCall::Function => d.functions.contains(&name),
    })
}

/// What to do instead of sending transaction SQL through `name`, given the crates the
/// file names (`use tiberius::..`, `sqlx::query(..)`); None when `name` sends no SQL
/// text. The driver is the one of the crates in the file that has such a call; with none
/// named, the only driver that has it; else the advice names no driver.
pub fn sql_advice(name: &str, call: SqlCall, crates: &[String]) -> Option<String> {
    if !sends_sql(name, call) {
        return None;
    }
    let has = |d: &&SqlDriver| match call {
        SqlCall::Method => d.methods.contains(&name),
        SqlCall::Function => d.functions.contains(&name),
    };
    let owners: Vec<&SqlDriver> = SQL_DRIVERS.iter().filter(has).collect();
    let named = |d: &SqlDriver| crates.iter().any(|c| c == d.krate);
    let in_file: Vec<&SqlDriver> = owners.iter().copied().filter(|d| named(d)).collect();
    let no_driver_named = !SQL_DRIVERS.iter().any(named);
    let driver = match (in_file.as_slice(), owners.as_slice()) {
        ([one], _) => Some(*one),
        ([], [only]) if no_driver_named => Some(*only),
        _ => None,
    };
    Some(match driver {
        Some(SqlDriver { api: Some(api), .. }) => format!("use {api} instead"),
        Some(SqlDriver { name, api: None, .. }) => format!(
            "{name} has no transaction API: keep `BEGIN`, `COMMIT` and `ROLLBACK` in one guard type whose `Drop` rolls back"
        ),
        None => "use the driver's transaction API (a transaction value that rolls back when dropped) instead".to_string(),
    })
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
    fn sql_advice_names_the_driver_in_use() {
        let none: Vec<String> = vec![];
        let crates = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = SqlCall::Method;
        assert!(sql_advice("execute_batch", m, &none)
            .unwrap()
            .contains("rusqlite"));
        assert!(sql_advice("prepare", m, &none).is_none());
        let tiberius = sql_advice("simple_query", m, &crates(&["tiberius", "futures"])).unwrap();
        assert!(
            tiberius.starts_with("tiberius has no transaction API"),
            "{tiberius}"
        );
        let pg = sql_advice("simple_query", m, &crates(&["tokio_postgres"])).unwrap();
        assert!(pg.contains("tokio-postgres'"), "{pg}");
        let unknown = sql_advice("simple_query", m, &none).unwrap();
        assert!(
            unknown.contains("the driver's transaction API"),
            "{unknown}"
        );
        let f = SqlCall::Function;
        assert!(sql_advice("query", f, &none).unwrap().contains("sqlx"));
        assert!(sql_advice("format", f, &none).is_none());
    }
}
