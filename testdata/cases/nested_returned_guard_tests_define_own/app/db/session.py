"""The service's one way to get a session: `with get_db_session() as db:`."""
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from .models import Base

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine, autoflush=False)
Base.metadata.create_all(engine)


def get_db_session():
    """A unit of work: commits on success, rolls back on error, always closes."""

    @contextmanager
    def _scope():
        db = SessionLocal()
        try:
            yield db
            db.commit()
        except Exception:
            db.rollback()
            raise
        finally:
            db.close()

    return _scope()
