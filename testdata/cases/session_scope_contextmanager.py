# proves: the common `@contextmanager def session_scope()` guard is a guard definition, not a finding
from contextlib import contextmanager

from casefix import Item, SessionLocal, logger


@contextmanager
def session_scope():
    """Provide a transactional scope around a series of operations."""
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception as e:
        logger.error("rolling back: %s", e)
        session.rollback()
        raise
    finally:
        session.close()


def add_item(name: str, qty: int) -> None:
    with session_scope() as session:
        session.add(Item(name=name, qty=qty))
