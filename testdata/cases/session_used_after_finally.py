# proves: the session is used again after its finally closed it, so the block does not own the whole lifetime
from casefix import Item, SessionLocal, select


def add_then_count(name: str, qty: int) -> int:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return len(session.scalars(select(Item)).all())
