//! Equivalence runner: the `main` of the crate that `harness/rust/generate.rs` generates.
//!
//! Every scenario (one call of one rewritten function, from `scenarios.toml`) runs once
//! against the code before the rewrite (crate `before`) and once against the code after it
//! (crate `after`), each time on a fresh database file with the same fault injected. The two
//! runs must return the same value or error text and leave the same committed rows behind.
//!
//! Faults, all made by SQLite itself so that both drivers see them the same way:
//! - `none`: nothing fails.
//! - `wN`: the N-th row write (insert, update or delete on a ledger table) and every later
//!   one fail: a BEFORE trigger bumps a counter and raises `ABORT` when it reaches N. The
//!   abort also undoes the bump, so the fault stays until the transaction is undone.
//! - `commit`: COMMIT fails. rusqlite: a commit hook that vetoes every commit. sqlx: an
//!   AFTER trigger inserts a row that breaks a deferred foreign key, which SQLite checks
//!   only at COMMIT.
//!
//! Exit status 1 when any cell differs; the report names the cell and both observations.

mod scenarios;

use std::fmt::{Debug, Display};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rusqlite::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};

/// The database handle a scenario's call gets.
pub enum Db<'a> {
    Rusqlite(&'a mut Connection),
    Sqlx(&'a sqlx::SqlitePool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Rusqlite,
    Sqlx,
}

/// One call of one rewritten function, as listed in `scenarios.toml`.
pub struct Scenario {
    pub label: &'static str,
    pub driver: Driver,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    Write(u32),
    Commit,
}

impl Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::None => f.write_str("none"),
            Fault::Write(n) => write!(f, "w{n}"),
            Fault::Commit => f.write_str("commit"),
        }
    }
}

/// What one run left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observation {
    outcome: String,
    /// `table: (values)` for every committed row, sorted.
    rows: Vec<String>,
    /// rusqlite only: a transaction was still open on the connection after the call.
    left_open: bool,
}

/// `Ok(<value as Debug>)` or `Err(<error as Display>)`: what a caller would see.
pub fn outcome<T: Debug, E: Display>(result: Result<T, E>) -> String {
    match result {
        Ok(v) => format!("Ok({v:?})"),
        Err(e) => format!("Err({e})"),
    }
}

const FAULT_TABLES: &str = "
CREATE TABLE fault_state (writes INTEGER NOT NULL, fail_at INTEGER NOT NULL, commit_fault INTEGER NOT NULL);
CREATE TABLE fault_parent (id INTEGER PRIMARY KEY);
CREATE TABLE fault_orphan (parent INTEGER REFERENCES fault_parent (id) DEFERRABLE INITIALLY DEFERRED);
";

/// The triggers that inject write and commit faults on `table`.
fn fault_triggers(table: &str) -> String {
    let mut sql = String::new();
    for op in ["INSERT", "UPDATE", "DELETE"] {
        sql.push_str(&format!(
            "CREATE TRIGGER fault_write_{table}_{op} BEFORE {op} ON {table} BEGIN
                UPDATE fault_state SET writes = writes + 1;
                SELECT RAISE(ABORT, 'injected fault: write failed') FROM fault_state WHERE writes = fail_at;
            END;
            CREATE TRIGGER fault_commit_{table}_{op} AFTER {op} ON {table}
            WHEN (SELECT commit_fault FROM fault_state) = 1 BEGIN
                INSERT INTO fault_orphan (parent) VALUES (0);
            END;\n"
        ));
    }
    sql
}

/// The ledger tables (everything but SQLite's and the harness's own).
fn data_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fault_%' ORDER BY name",
    )?;
    let names = stmt.query_map([], |r| r.get(0))?;
    names.collect()
}

/// A connection to the database at `path`. No fsync: durability is not under test.
fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    Ok(conn)
}

/// A fresh database at `path`: schema, seed rows, then the fault machinery armed for `fault`.
fn prepare(path: &Path, driver: Driver, fault: Fault) -> rusqlite::Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let conn = open(path)?;
    conn.execute_batch(scenarios::SCHEMA)?;
    conn.execute_batch(scenarios::SEED)?;
    conn.execute_batch(FAULT_TABLES)?;
    for table in data_tables(&conn)? {
        conn.execute_batch(&fault_triggers(&table))?;
    }
    let fail_at = match fault {
        Fault::Write(n) => n,
        _ => 0,
    };
    let commit_fault = fault == Fault::Commit && driver == Driver::Sqlx;
    conn.execute(
        "INSERT INTO fault_state VALUES (0, ?1, ?2)",
        rusqlite::params![fail_at, commit_fault],
    )?;
    Ok(())
}

/// Every committed row, through a new connection, as sorted `table: (values)` lines.
fn dump(path: &Path) -> rusqlite::Result<Vec<String>> {
    let conn = open(path)?;
    let mut rows = Vec::new();
    for table in data_tables(&conn)? {
        let mut cols = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let cols: Vec<String> = cols
            .query_map([&table], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let quoted: Vec<String> = cols.iter().map(|c| format!("quote(\"{c}\")")).collect();
        let sql = format!("SELECT {} FROM \"{table}\"", quoted.join(" || ', ' || "));
        let mut stmt = conn.prepare(&sql)?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            rows.push(format!("{table}: ({})", row?));
        }
    }
    rows.sort();
    Ok(rows)
}

/// Run scenario `index` of one version once under `fault`.
async fn observe(index: usize, after: bool, fault: Fault, path: &Path) -> Observation {
    let driver = scenarios::SCENARIOS[index].driver;
    prepare(path, driver, fault).expect("prepare the database");
    let (outcome, left_open) = match driver {
        Driver::Rusqlite => {
            let mut conn = open(path).expect("open");
            if fault == Fault::Commit {
                conn.commit_hook(Some(|| true)).expect("commit hook");
            }
            let outcome = scenarios::call(index, after, Db::Rusqlite(&mut conn)).await;
            (outcome, !conn.is_autocommit())
        }
        Driver::Sqlx => {
            let options = SqliteConnectOptions::new()
                .filename(path)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(true);
            // One connection: the call and any rollback it leaves queued share it.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .expect("connect");
            let outcome = scenarios::call(index, after, Db::Sqlx(&pool)).await;
            pool.close().await;
            (outcome, false)
        }
    };
    Observation {
        outcome,
        rows: dump(path).expect("dump the database"),
        left_open,
    }
}

/// One scenario under one fault: both observations, and what no fault gave.
struct Cell {
    fault: Fault,
    before: Observation,
    after: Observation,
    /// The fault changed nothing compared to the run without one.
    unreached: bool,
}

impl Cell {
    fn mark(&self) -> &'static str {
        match (self.before == self.after, self.unreached) {
            (false, _) => "FAIL",
            (true, true) => "ok-",
            (true, false) => "ok",
        }
    }
}

fn faults() -> Vec<Fault> {
    let mut all = vec![Fault::None];
    all.extend((1..=scenarios::WRITE_FAULTS).map(Fault::Write));
    all.push(Fault::Commit);
    all
}

fn print_table(cells: &[Vec<Cell>]) {
    let width = scenarios::SCENARIOS
        .iter()
        .map(|s| s.label.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut header = format!("{:width$}  {:8}", "scenario", "driver");
    for f in faults() {
        header.push_str(&format!("  {:6}", f.to_string()));
    }
    println!("{header}");
    for (scenario, row) in scenarios::SCENARIOS.iter().zip(cells) {
        let driver = format!("{:?}", scenario.driver).to_lowercase();
        let mut line = format!("{:width$}  {driver:8}", scenario.label);
        for cell in row {
            line.push_str(&format!("  {:6}", cell.mark()));
        }
        println!("{}", line.trim_end());
    }
    println!("(ok: same outcome and rows before and after; ok-: same, and the fault changed nothing; FAIL: they differ)");
}

fn print_mismatch(scenario: &Scenario, cell: &Cell) {
    println!("MISMATCH {} {}", scenario.label, cell.fault);
    for (name, o) in [("before", &cell.before), ("after", &cell.after)] {
        println!(
            "  {name}: {} (transaction left open: {})",
            o.outcome, o.left_open
        );
    }
    for row in cell
        .before
        .rows
        .iter()
        .filter(|r| !cell.after.rows.contains(r))
    {
        println!("  - {row}");
    }
    for row in cell
        .after
        .rows
        .iter()
        .filter(|r| !cell.before.rows.contains(r))
    {
        println!("  + {row}");
    }
}

fn database_path() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rust-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the database directory");
    dir.join("ledger.db")
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let path = database_path();
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for index in 0..scenarios::SCENARIOS.len() {
        let mut row: Vec<Cell> = Vec::new();
        for fault in faults() {
            let before = runtime.block_on(observe(index, false, fault, &path));
            let after = runtime.block_on(observe(index, true, fault, &path));
            let unreached = row.first().is_some_and(|none| none.before == before);
            row.push(Cell {
                fault,
                before,
                after,
                unreached,
            });
        }
        cells.push(row);
    }
    let _ = std::fs::remove_dir_all(path.parent().expect("database directory"));
    print_table(&cells);
    let mut mismatches = 0;
    for (scenario, row) in scenarios::SCENARIOS.iter().zip(&cells) {
        for cell in row.iter().filter(|c| c.before != c.after) {
            print_mismatch(scenario, cell);
            mismatches += 1;
        }
    }
    let total: usize = cells.iter().map(Vec::len).sum();
    println!("equivalence: {total} cells, {mismatches} mismatched");
    if mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
