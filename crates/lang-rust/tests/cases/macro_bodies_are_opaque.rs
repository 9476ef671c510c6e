use sqlx::SqliteConnection;

macro_rules! in_tx {
    ($conn:expr, $body:block) => {{
        let tx = $conn.transaction()?;
        let r = $body;
        match r {
            Ok(_) => tx.commit()?,
            Err(_) => tx.rollback()?,
        }
        r
    }};
}

pub async fn mark(pool: &sqlx::SqlitePool, id: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query!("UPDATE tasks SET done = 1 WHERE id = ?", id).execute(&mut *tx).await;
    if let Err(e) = done {
        tx.rollback().await?;
        return Err(e);
    }
    log_change!(tx, id);
    tx.commit().await?;
    Ok(())
}

pub async fn raw(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("BEGIN").execute(&mut *conn).await?;
    Ok(())
}
