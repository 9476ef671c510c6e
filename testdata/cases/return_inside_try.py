# proves: a `return` inside the try body (after the commit) survives the rewrite
from casefix import Item, SessionLocal


def add_and_get_id(name: str, qty: int) -> int:
    session = SessionLocal()
    try:
        item = Item(name=name, qty=qty)
        session.add(item)
        session.commit()
        return item.id
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
