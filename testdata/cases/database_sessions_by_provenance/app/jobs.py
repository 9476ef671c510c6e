from sqlmodel import Session

from app.db import Registry, _factory, engine


def add_hero(hero):
    session = Session(engine)
    session.add(hero)
    session.commit()
    session.close()


def add_team(team):
    session = _factory()
    session.add(team)
    session.commit()
    session.close()


def add_power(power):
    session = Registry()
    try:
        session.add(power)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
