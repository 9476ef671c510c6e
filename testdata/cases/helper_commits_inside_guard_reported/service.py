# proves: a call inside the guard that commits or rolls back the session further down is a manual double transaction; a call that only reads is nothing; a block whose only commit is in a helper gets the guard as review (its commit on exit also commits what came after the helper)
from db import Gauge, SessionLocal, session_scope
from store import names, persist, persist_named, undo


def add_two(first: str, second: str) -> None:
    with session_scope() as session:
        persist(session, first)
        session.add(Gauge(name=second))


def add_deep(first: str, second: str) -> None:
    with session_scope() as session:
        persist_named(session, first)
        session.add(Gauge(name=second))


def add_or_undo(name: str, keep: bool) -> None:
    with session_scope() as session:
        session.add(Gauge(name=name))
        if not keep:
            undo(session)


def listing() -> list[str]:
    with session_scope() as session:
        return names(session)


def add_after_helper_commit(first: str, second: str) -> None:
    # The only commit is in the helper: the second add was never committed.
    session = SessionLocal()
    persist(session, first)
    session.add(Gauge(name=second))
    session.close()
