from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine)


class StoreError(Exception):
    pass


@contextmanager
def store_session():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except StoreError:
        session.rollback()
        raise
    except Exception as e:
        session.rollback()
        raise StoreError(str(e)) from e
    finally:
        session.close()
