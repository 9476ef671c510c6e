# proves: a trailing comment on the commit line is not silently lost when the commit goes away
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()  # persist the item
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
