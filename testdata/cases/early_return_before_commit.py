# proves: an early return after a change but before the commit discards the change today; a guard would commit it
from casefix import Item, SessionLocal, select


def restock(name: str, amount: int) -> bool:
    session = SessionLocal()
    try:
        item = session.scalar(select(Item).where(Item.name == name))
        if item is None:
            return False
        item.qty += amount
        if item.qty > 1000:
            return False  # over capacity: do not save
        session.commit()
        return True
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
