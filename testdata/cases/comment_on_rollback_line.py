# proves: a comment on the rollback line is kept (or reported), not dropped with the rollback
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()  # undo the partial insert
        raise
    finally:
        session.close()
