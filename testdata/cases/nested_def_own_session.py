# proves: scopes are separate: the outer block and the inner def each own a different `session` (outer manual, inner leaked)
from casefix import Item, SessionLocal, select


def add_and_probe(name: str, qty: int) -> bool:
    def probe(n: str) -> bool:
        session = SessionLocal()
        return session.scalar(select(Item).where(Item.name == n)) is not None

    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return probe(name)
