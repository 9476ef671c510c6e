use tokio_postgres::Client;

pub async fn check_invariants(client: &mut Client) -> Result<(), CheckError> {
    let tx = client.transaction().await?;
    let orphans = tx.query_one("SELECT count(*) FROM lines WHERE order_id IS NULL", &[]).await?;
    let n: i64 = orphans.get(0);
    if n > 0 {
        let _ = tx.rollback().await;
        return Err(CheckError::Orphans(n));
    }
    Ok(())
}
