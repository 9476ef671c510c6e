use sqlx::PgPool;

pub async fn touch(pool: &PgPool, id: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    let r = sqlx::query("UPDATE t SET at = now() WHERE id = $1").bind(id).execute(&mut *tx).await;
    if let Err(e) = r {
        tx.rollback().await.ok();
        return Err(e);
    }
    tx.commit().await
}
