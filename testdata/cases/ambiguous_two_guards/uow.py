# proves: second of two competing guards (same behaviour, other name, other module)
from contextlib import contextmanager

from db import SessionLocal


@contextmanager
def transaction():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
