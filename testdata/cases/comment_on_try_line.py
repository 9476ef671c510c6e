# proves: a comment on the `try:` line is kept (or reported), not dropped with the try
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:  # one unit of work
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
