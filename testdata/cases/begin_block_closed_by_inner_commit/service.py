# proves: a commit or a swallowing rollback inside `SessionLocal.begin()` followed by more work is reported as manual (it raises InvalidRequestError), not offered as `flush()`
from db import Gauge, SessionLocal
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError


def add_two(first: str, second: str) -> None:
    with SessionLocal.begin() as session:
        session.add(Gauge(name=first))
        session.commit()
        session.add(Gauge(name=second))


def add_or_skip(name: str) -> bool:
    with SessionLocal.begin() as session:
        try:
            session.add(Gauge(name=name))
            session.flush()
        except IntegrityError:
            session.rollback()
            return False
        return True


def count() -> int:
    with SessionLocal.begin() as session:
        return len(list(session.scalars(select(Gauge))))


def rename_or_note(gauge_id: int, name: str) -> None:
    with SessionLocal.begin() as session:
        gauge = session.get(Gauge, gauge_id)
        try:
            gauge.name = name
            session.flush()
        except IntegrityError:
            session.rollback()
        session.add(Gauge(name=f"{name}-note"))
