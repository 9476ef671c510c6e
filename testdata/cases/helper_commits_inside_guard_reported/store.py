# proves: helpers that end the transaction of the session they are given, one and two calls down, and one that only reads
from db import Gauge


def persist(session, name: str) -> None:
    session.add(Gauge(name=name))
    session.commit()


def persist_named(session, name: str) -> None:
    persist(session, name.strip())


def undo(session) -> None:
    session.rollback()


def names(session) -> list[str]:
    return sorted(g.name for g in session.query(Gauge).all())
