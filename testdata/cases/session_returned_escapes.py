# proves: a session returned to the caller escapes: ownership moves out, so no finding and no rewrite
from casefix import Session, SessionLocal


def open_session(tag: str) -> Session:
    session = SessionLocal()
    session.info["tag"] = tag
    return session
