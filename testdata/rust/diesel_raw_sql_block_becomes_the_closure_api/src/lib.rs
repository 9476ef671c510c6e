//! Sign-ups and background jobs on SQLite.

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::Text;

#[derive(Debug)]
pub enum AppError {
    Db(diesel::result::Error),
    NothingToClaim,
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Db(e)
    }
}

pub fn signup(conn: &mut SqliteConnection, name: &str) -> QueryResult<()> {
    sql_query("BEGIN").execute(conn)?;
    if let Err(e) = sql_query("INSERT INTO users (name) VALUES (?)")
        .bind::<Text, _>(name)
        .execute(conn)
    {
        sql_query("ROLLBACK").execute(conn)?;
        return Err(e);
    }
    sql_query("UPDATE stats SET users = users + 1").execute(conn)?;
    sql_query("COMMIT").execute(conn)?;
    Ok(())
}

pub fn claim_jobs(conn: &mut SqliteConnection, worker: &str) -> Result<usize, AppError> {
    sql_query("BEGIN IMMEDIATE").execute(conn)?;
    let claimed = sql_query("UPDATE jobs SET worker = ? WHERE worker IS NULL")
        .bind::<Text, _>(worker)
        .execute(conn)?;
    sql_query("COMMIT").execute(conn)?;
    if claimed == 0 {
        return Err(AppError::NothingToClaim);
    }
    Ok(claimed)
}

pub fn purge(conn: &mut SqliteConnection, dry_run: bool) -> QueryResult<()> {
    sql_query("BEGIN").execute(conn)?;
    if dry_run {
        return Ok(());
    }
    sql_query("DELETE FROM jobs WHERE done = 1").execute(conn)?;
    sql_query("COMMIT").execute(conn)?;
    Ok(())
}
