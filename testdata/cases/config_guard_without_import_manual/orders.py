# proves: a config guard without guard-import is not written where its name is unbound (it would raise NameError)
from db import SessionLocal


def add(order):
    session = SessionLocal()
    try:
        session.add(order)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
