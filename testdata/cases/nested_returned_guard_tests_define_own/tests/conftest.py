from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from app.db import Base

test_engine = create_engine("sqlite://", poolclass=StaticPool)
TestingSessionLocal = sessionmaker(bind=test_engine)


@contextmanager
def testing_session():
    session = TestingSessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def clean_tables():
    session = TestingSessionLocal()
    try:
        yield session
    finally:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
        session.close()


@pytest.fixture()
def db():
    Base.metadata.create_all(test_engine)
    with clean_tables() as session:
        yield session
