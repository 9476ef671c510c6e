//! The crate `bench rust` plans: modules of 100 to 300 lines that mix plain code with
//! every transaction shape the Rust rules know (rusqlite, sqlx and diesel), laid out as
//! such modules are: imports, a data type and its methods, helpers, then jobs that each
//! begin a transaction. The same `files` always give the same crate.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

/// Bumped whenever the generated text changes, so a cached crate is never stale.
pub const VERSION: u32 = 1;

/// The transaction shapes: the kind of the findings each gives, how many, and its text.
const SHAPES: &[(&str, usize, &str)] = &[
    ("manual-transaction", 1, RS001_IF_LET),
    ("manual-transaction", 1, RS001_MATCH),
    ("manual-transaction", 1, RS001_SQLX),
    ("redundant-rollback", 1, RS002_SQLX),
    ("redundant-rollback", 1, RS002_UNIT),
    // `BEGIN` and `COMMIT`.
    ("raw-sql-transaction", 2, RS003),
    ("uncommitted-transaction", 1, RS004),
    ("double-management", 1, RS005),
];

const HEADER: &str = "//! Account jobs, part {n}: balances, transfers and their audit trail.

use diesel::prelude::*;
use diesel::sql_types::Integer;
use rusqlite::{params, Connection, Result, Transaction};
use sqlx::SqlitePool;

use crate::Error;
";

const PLAIN_TYPE: &str = "
/// One account as the jobs of this module read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account{n} {
    pub id: i64,
    pub owner: String,
    pub balance: i64,
    pub frozen: bool,
}

impl Account{n} {
    pub fn new(id: i64, owner: &str) -> Self {
        Account{n} {
            id,
            owner: owner.to_string(),
            balance: 0,
            frozen: false,
        }
    }

    /// What the account may still spend, never below zero.
    pub fn available(&self, reserved: i64) -> i64 {
        if self.frozen {
            return 0;
        }
        (self.balance - reserved).max(0)
    }

    pub fn label(&self) -> String {
        match (self.frozen, self.balance) {
            (true, _) => format!(\"{} (frozen)\", self.owner),
            (false, b) if b < 0 => format!(\"{} (overdrawn by {})\", self.owner, -b),
            (false, _) => self.owner.clone(),
        }
    }
}
";

const PLAIN_HELPER: &str = "
/// Sum of the amounts, saturating instead of overflowing.
pub fn total_{n}_{k}(amounts: &[i64]) -> i64 {
    amounts.iter().fold(0i64, |acc, a| acc.saturating_add(*a))
}

/// The accounts whose balance is at least `floor`, by id.
pub fn above_{n}_{k}(accounts: &[Account{n}], floor: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = accounts
        .iter()
        .filter(|a| a.balance >= floor)
        .map(|a| a.id)
        .collect();
    ids.sort_unstable();
    ids
}
";

const RS001_IF_LET: &str = "
/// Close an account and record why.
pub fn close_account_{n}_{k}(conn: &mut Connection, id: i64, why: &str) -> Result<()> {
    let tx = conn.transaction()?;
    if let Err(e) = tx.execute(\"UPDATE accounts SET closed = 1 WHERE id = ?1\", [id]) {
        let _ = tx.rollback();
        return Err(e);
    }
    tx.execute(
        \"INSERT INTO audit (account, why) VALUES (?1, ?2)\",
        params![id, why],
    )?;
    tx.commit()
}
";

const RS001_MATCH: &str = "
fn insert_rows_{n}_{k}(tx: &Transaction<'_>, rows: &[i64]) -> Result<()> {
    for row in rows {
        tx.execute(\"INSERT INTO ledger (amount) VALUES (?1)\", [row])?;
    }
    Ok(())
}

/// Post every row, or none of them.
pub fn post_rows_{n}_{k}(conn: &mut Connection, rows: &[i64]) -> Result<()> {
    let tx = conn.transaction()?;
    let result = insert_rows_{n}_{k}(&tx, rows);
    match result {
        Ok(_) => tx.commit()?,
        Err(_) => tx.rollback()?,
    }
    result
}
";

const RS001_SQLX: &str = "
/// Move `amount` from one account to another.
pub async fn transfer_{n}_{k}(pool: &SqlitePool, from: i64, to: i64, amount: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(\"UPDATE accounts SET balance = balance - ?1 WHERE id = ?2\")
        .bind(amount)
        .bind(from)
        .execute(&mut *tx)
        .await?;
    let credited = sqlx::query(\"UPDATE accounts SET balance = balance + ?1 WHERE id = ?2\")
        .bind(amount)
        .bind(to)
        .execute(&mut *tx)
        .await;
    if let Err(e) = credited {
        tx.rollback().await?;
        return Err(e);
    }
    tx.commit().await
}
";

const RS002_SQLX: &str = "
/// Fail when the account is overdrawn.
pub async fn check_limit_{n}_{k}(pool: &SqlitePool, id: i64) -> std::result::Result<(), Error> {
    let mut tx = pool.begin().await?;
    let over: bool = sqlx::query_scalar(\"SELECT balance < 0 FROM accounts WHERE id = ?1\")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if over {
        tx.rollback().await?;
        return Err(Error::Overdrawn(id));
    }
    Ok(())
}
";

const RS002_UNIT: &str = "
/// Print what the fee run would charge, changing nothing.
pub fn preview_fees_{n}_{k}(conn: &mut Connection) {
    let tx = conn.transaction().unwrap();
    let _ = tx.execute(\"UPDATE accounts SET balance = balance - 1\", []);
    report_fees_{n}_{k}(&tx);
    let _ = tx.rollback();
}

fn report_fees_{n}_{k}(conn: &Connection) {
    let n: i64 = conn
        .query_row(\"SELECT count(*) FROM accounts\", [], |r| r.get(0))
        .unwrap_or(0);
    println!(\"{n} accounts charged\");
}
";

const RS003: &str = "
/// Replay the journal in one transaction the batch tool expects.
pub fn replay_{n}_{k}(conn: &Connection, entries: &[String]) -> Result<()> {
    conn.execute_batch(\"BEGIN IMMEDIATE\")?;
    for entry in entries {
        conn.execute(\"INSERT INTO journal (entry) VALUES (?1)\", [entry])?;
    }
    conn.execute_batch(\"COMMIT\")
}
";

const RS004: &str = "
/// Stage the items, then move them over.
pub fn import_{n}_{k}(conn: &mut Connection, items: &[i64]) -> Result<usize> {
    let tx = conn.transaction()?;
    tx.execute(\"DELETE FROM staging\", [])?;
    if items.is_empty() {
        return Ok(0);
    }
    for item in items {
        tx.execute(\"INSERT INTO staging (v) VALUES (?1)\", [item])?;
    }
    tx.commit()?;
    Ok(items.len())
}
";

const RS005: &str = "
/// Archive a job; diesel commits when the closure returns `Ok`.
pub fn archive_job_{n}_{k}(conn: &mut SqliteConnection, id: i32) -> QueryResult<()> {
    conn.transaction(|tx| {
        diesel::sql_query(\"UPDATE jobs SET archived = 1 WHERE id = ?\")
            .bind::<Integer, _>(id)
            .execute(tx)?;
        tx.commit()
    })
}
";

/// A small deterministic generator (no dependency, same crate on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// Module `n`: 100 to 300 lines; the findings its shapes give, by kind.
fn module(n: usize) -> (String, Vec<(&'static str, usize)>) {
    let mut rng = Lcg(n as u64 + 1);
    let target = 100 + rng.next(201);
    let fill = |t: &str, k: usize| {
        t.replace("{n}", &n.to_string())
            .replace("{k}", &k.to_string())
    };
    let mut text = fill(HEADER, 0) + &fill(PLAIN_TYPE, 0);
    let mut codes = Vec::new();
    let mut k = 0;
    while text.lines().count() < target {
        k += 1;
        // Two in five additions are plain code.
        if rng.next(5) < 2 {
            text.push_str(&fill(PLAIN_HELPER, k));
        } else {
            let (kind, findings, shape) = SHAPES[rng.next(SHAPES.len())];
            text.push_str(&fill(shape, k));
            codes.push((kind, findings));
        }
    }
    (text, codes)
}

/// The findings the crate of `files` modules gives, by kind, sorted.
pub fn expected(files: usize) -> Vec<(&'static str, usize)> {
    let mut expected: Vec<(&'static str, usize)> = Vec::new();
    for (kind, findings) in (0..files).flat_map(|n| module(n).1) {
        match expected.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += findings,
            None => expected.push((kind, findings)),
        }
    }
    expected.sort();
    expected
}

/// Write the crate of `files` modules (plus `lib.rs` and a manifest) to `dir`.
pub fn write(dir: &Path, files: usize) -> Result<()> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).with_context(|| src.display().to_string())?;
    std::fs::write(dir.join("Cargo.toml"), MANIFEST)?;
    let mut lib = String::from(LIB);
    for n in 0..files {
        writeln!(lib, "pub mod accounts_{n:03};")?;
        std::fs::write(src.join(format!("accounts_{n:03}.rs")), module(n).0)?;
    }
    std::fs::write(src.join("lib.rs"), lib)?;
    Ok(())
}

const MANIFEST: &str = "[package]
name = \"bench_accounts\"
version = \"0.1.0\"
edition = \"2021\"

[dependencies]
rusqlite = \"0.31\"
sqlx = { version = \"0.8\", features = [\"sqlite\"] }
diesel = { version = \"2\", features = [\"sqlite\"] }
";

const LIB: &str = "//! Generated for `cargo xtask bench rust`.

#[derive(Debug)]
pub enum Error {
    Db(sqlx::Error),
    Overdrawn(i64),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(e)
    }
}

";
