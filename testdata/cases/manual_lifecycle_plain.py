# proves: the textbook block (SessionLocal(), commit in try, rollback + raise, close in finally) is one manual-lifecycle finding
from casefix import Item, SessionLocal, logger


def add_item(name: str, qty: int) -> int:
    session = SessionLocal()
    try:
        item = Item(name=name, qty=qty)
        session.add(item)
        session.flush()
        item_id = item.id
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    logger.info("added item %s", item_id)
    return item_id
