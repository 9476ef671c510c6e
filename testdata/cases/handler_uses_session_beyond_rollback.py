# proves: a handler that does more with the session than rollback (expunge_all, inspect) blocks an automatic rewrite
from casefix import Item, SessionLocal, logger


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        session.expunge_all()
        logger.warning("after failure %d objects remain", len(session.identity_map))
        raise
    finally:
        session.close()
