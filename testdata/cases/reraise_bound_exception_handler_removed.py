# proves: `except Exception as e: rollback(); raise e` is a handler that only re-raises once the rollback goes, and is removed with it
from casefix import Item, SessionLocal


def add_item(name: str) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=1))
        session.commit()
    except Exception as e:
        session.rollback()
        raise e
    finally:
        session.close()


def add_checked(name: str) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=1))
        session.commit()
    except ValueError as e:
        session.rollback()
        raise RuntimeError(name) from e
    finally:
        session.close()
