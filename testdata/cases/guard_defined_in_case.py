# proves: the body of a guard (@contextmanager: create, yield, commit, rollback, close) is not itself a finding
from contextlib import contextmanager

from casefix import Item, SessionLocal


@contextmanager
def item_session():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def add_item(name: str, qty: int) -> None:
    with item_session() as session:
        session.add(Item(name=name, qty=qty))
