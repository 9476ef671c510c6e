# The factory, models and scope guard of a project pinned to SQLAlchemy 1.3.
from contextlib import contextmanager

from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", poolclass=StaticPool)
DBSession = sessionmaker(bind=engine)
Base = declarative_base()


class Note(Base):
    __tablename__ = "memos"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), unique=True)


Base.metadata.create_all(engine)


@contextmanager
def session_scope():
    """Commit on success, roll back on error, always close."""
    session = DBSession()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
