# proves: a session created only under an `if` (and closed under an `if`) is not a block the guard can replace
from casefix import Item, SessionLocal, select


def count_items(use_db: bool) -> int:
    session = None
    if use_db:
        session = SessionLocal()
    try:
        if session is None:
            return 0
        return len(session.scalars(select(Item)).all())
    finally:
        if session is not None:
            session.close()
