# proves: comments just before `session = ...` and just after the block stay where they are
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> str:
    # open a session for the insert
    session = SessionLocal()  # from the shared factory
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    # the session is closed from here on
    return name
