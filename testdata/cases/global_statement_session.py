# proves: `global session` + assignment in a function makes a shared module session; report, never rewrite connect()
from casefix import Item, SessionLocal, select

session = None


def connect() -> None:
    global session
    session = SessionLocal()


def count() -> int:
    if session is None:
        connect()
    return len(session.scalars(select(Item)).all())
