# proves: a block on a bare factory wrapper (`def new_session(): return SessionLocal()`) is found through the wrapper and rewritten to the guard; the wrapper itself is not flagged
from casefix import Item, SessionLocal, logger


def new_session():
    """A session for one unit of work."""
    return SessionLocal()


def add_item(name: str, qty: int) -> None:
    session = new_session()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception as e:
        session.rollback()
        logger.error(f"could not add {name}: {e}")
        raise
    finally:
        session.close()
