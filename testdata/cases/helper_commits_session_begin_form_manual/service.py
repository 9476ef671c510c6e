# proves: a block that passes its session to a function that commits it (one or two calls down) is not rewritten into a `begin()` form (the next statement would fail on the closed transaction), and one whose calls only read is rewritten
from db import Gauge, SessionLocal
from store import names, persist, persist_named


def add_two(first: str, second: str) -> None:
    session = SessionLocal()
    try:
        persist(session, first)
        session.add(Gauge(name=second))
        session.commit()
    finally:
        session.close()


def add_deep(first: str, second: str) -> None:
    session = SessionLocal()
    try:
        persist_named(session, first)
        session.add(Gauge(name=second))
        session.commit()
    finally:
        session.close()


def listing() -> list[str]:
    session = SessionLocal()
    try:
        return names(session)
    finally:
        session.close()


def total() -> int:
    session = SessionLocal()
    try:
        count = len(names(session))
    finally:
        session.close()
    return count
