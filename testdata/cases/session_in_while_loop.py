# proves: a new session on every pass of a while loop is session-per-iteration too
from casefix import Item, SessionLocal


def add_numbered(prefix: str, count: int) -> int:
    i = 0
    while i < count:
        session = SessionLocal()
        try:
            session.add(Item(name=f"{prefix}{i}", qty=i))
            session.commit()
        finally:
            session.close()
        i += 1
    return i
