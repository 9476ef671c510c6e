from app.db import Registry, _factory


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
