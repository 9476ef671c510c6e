# proves: a block that commits and then reads through a second session of the same factory stays manual: the guard would commit only on exit, so the second session would not see the work
from casefix import Item, SessionLocal, select


def add_and_count(name: str) -> int:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=1))
        session.commit()
        count = len(SessionLocal().scalars(select(Item)).all())
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return count
