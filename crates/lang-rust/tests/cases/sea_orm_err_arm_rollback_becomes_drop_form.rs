use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

pub async fn publish(db: &DatabaseConnection, id: i32) -> Result<post::Model, DbErr> {
    let txn = db.begin().await?;
    match set_published(&txn, id).await {
        Ok(model) => {
            txn.commit().await?;
            Ok(model)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}
