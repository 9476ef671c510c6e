# proves: a blank line after `session = SessionLocal()` does not become the first line of the new `with` body (leaked and try forms)
from casefix import Item, SessionLocal


def count_items() -> int:
    session = SessionLocal()

    n = session.query(Item).count()
    session.close()
    return n


def add_item(name: str) -> None:
    session = SessionLocal()

    try:
        session.add(Item(name=name, qty=1))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
