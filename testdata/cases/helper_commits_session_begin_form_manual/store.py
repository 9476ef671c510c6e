# proves: the summaries see a commit one and two calls down from the block
from db import Gauge


def persist(session, name: str) -> None:
    session.add(Gauge(name=name))
    session.commit()


def persist_named(session, name: str) -> None:
    persist(session, name.strip())


def names(session) -> list[str]:
    return sorted(g.name for g in session.query(Gauge).all())
