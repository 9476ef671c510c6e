//! `begin_transaction` is defined in another file: what its drop does is unknown here.

pub fn remove_tag(store: &Store, tag: &str) -> Result<(), StoreError> {
    let tx = store.begin_transaction()?;
    if let Err(e) = store.delete_tag(tag) {
        tx.rollback()?;
        return Err(e);
    }
    tx.commit()?;
    Ok(())
}
