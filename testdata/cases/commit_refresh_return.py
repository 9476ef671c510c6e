# proves: commit, refresh, return the object: dropping the commit would refresh a pending row and the guard would expire the result
from casefix import Item, SessionLocal


def create_item(name: str, qty: int) -> Item:
    session = SessionLocal()
    try:
        item = Item(name=name, qty=qty)
        session.add(item)
        session.commit()
        session.refresh(item)
        return item
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
