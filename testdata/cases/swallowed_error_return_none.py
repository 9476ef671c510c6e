# proves: a handler that swallows the error (log + return None) must keep returning None; a guard around it would commit a failed session
from casefix import Item, SessionLocal, logger


def add_item_or_none(name: str, qty: int) -> int | None:
    session = SessionLocal()
    try:
        item = Item(name=name, qty=qty)
        session.add(item)
        session.commit()
        return item.id
    except Exception:
        logger.exception("could not add %s", name)
        return None
    finally:
        session.close()
