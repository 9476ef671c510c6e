# proves: close after the try (only on success, not in finally) is recognised; the error path used to leak
from casefix import Item, NotFound, SessionLocal, logger


def set_qty(item_id: int, qty: int) -> bool:
    session = SessionLocal()
    try:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(item_id)
        item.qty = qty
        session.commit()
    except Exception:
        session.rollback()
        logger.exception("set_qty failed")
        raise
    session.close()
    return True
