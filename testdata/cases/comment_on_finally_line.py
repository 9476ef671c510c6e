# proves: a comment on the `finally:` line (and on the close line) is kept or reported, not silently lost
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:  # always release the connection
        session.close()  # back to the pool
