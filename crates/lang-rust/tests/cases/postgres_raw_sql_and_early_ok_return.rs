use postgres::{Client, Error};

pub fn archive(client: &mut Client, ids: &[i32]) -> Result<u64, Error> {
    client.batch_execute("START TRANSACTION")?;
    let mut moved = 0;
    for id in ids {
        moved += client.execute("UPDATE orders SET archived = true WHERE id = $1", &[id])?;
    }
    client.batch_execute("ROLLBACK")?;
    Ok(moved)
}

pub fn restock(client: &mut Client, sku: &str, count: i32) -> Result<bool, Error> {
    let mut tx = client.transaction()?;
    let rows = tx.query("SELECT qty FROM stock WHERE sku = $1 FOR UPDATE", &[&sku])?;
    if rows.is_empty() {
        return Ok(false);
    }
    tx.execute("UPDATE stock SET qty = qty + $1 WHERE sku = $2", &[&count, &sku])?;
    tx.commit()?;
    Ok(true)
}
