# proves: a function or method that returns the session it makes is a factory (not a leak); its callers' blocks are found, and left manual because it configures the session beyond the guard
from casefix import Item, Session, SessionLocal, select


def open_session(tag: str) -> Session:
    session = SessionLocal()
    session.info["tag"] = tag
    return session


def count_items(tag: str) -> int:
    session = open_session(tag)
    try:
        return len(list(session.scalars(select(Item))))
    finally:
        session.close()


class Store:
    def session(self, autocommit: bool = True) -> Session:
        session = SessionLocal()
        session.info["autocommit"] = autocommit
        return session
