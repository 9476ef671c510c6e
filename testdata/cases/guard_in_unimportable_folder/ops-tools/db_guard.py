from contextlib import contextmanager

from app.db import SessionLocal


@contextmanager
def db_guard():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
