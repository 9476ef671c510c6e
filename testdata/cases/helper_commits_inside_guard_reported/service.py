# proves: a call inside the guard that commits or rolls back the session further down is a manual double transaction; a call that only reads is nothing
from db import Gauge, session_scope
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
