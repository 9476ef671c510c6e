# proves: a block inside a branch followed by a fresh `session = ...` of its own is rewritten: the later uses belong to the new session, not to the block
from casefix import Item, SessionLocal


def restock(name: str, fast: bool) -> int:
    if fast:
        session = SessionLocal()
        n = session.query(Item).count()
        session.close()
        return n
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=1))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return 0


def reused_after_branch(fast: bool) -> int:
    if fast:
        session = SessionLocal()
        session.query(Item).count()
        session.close()
    return session.query(Item).count()
