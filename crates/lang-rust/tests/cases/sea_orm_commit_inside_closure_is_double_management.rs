use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

pub async fn create_post(db: &DatabaseConnection, title: String) -> Result<(), DbErr> {
    db.transaction::<_, (), DbErr>(|txn| {
        Box::pin(async move {
            post::ActiveModel { title: Set(title), ..Default::default() }.insert(txn).await?;
            txn.commit().await?;
            Ok(())
        })
    })
    .await
    .map_err(|e| e.into())
}
