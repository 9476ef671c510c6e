from app.db import Registry, Team, _factory


def add_team(name):
    session = _factory()
    session.add(Team(name=name))
    session.commit()
    session.close()


def add_power(name):
    session = Registry()
    try:
        session.add(Team(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
