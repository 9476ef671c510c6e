# What the plan refuses: SQLAlchemy's `begin()` form around blocks whose helper commits.
from db import Gauge, SessionLocal
from store import names, persist, persist_named


def add_two(first: str, second: str) -> None:
    with SessionLocal.begin() as session:
        persist(session, first)
        session.add(Gauge(name=second))


def add_deep(first: str, second: str) -> None:
    with SessionLocal.begin() as session:
        persist_named(session, first)
        session.add(Gauge(name=second))


def listing() -> list[str]:
    with SessionLocal.begin() as session:
        return names(session)


def total() -> int:
    with SessionLocal.begin() as session:
        count = len(names(session))
    return count
