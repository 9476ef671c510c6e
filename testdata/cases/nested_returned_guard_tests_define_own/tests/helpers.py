"""Session helpers for the tests: each yields a TestingSessionLocal session."""
from contextlib import contextmanager

from tests.conftest import TestingSessionLocal


@contextmanager
def rollback_session():
    session = TestingSessionLocal()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@contextmanager
def seeded_session(*rows):
    session = TestingSessionLocal()
    try:
        session.add_all(rows)
        session.flush()
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def readonly_session():
    session = TestingSessionLocal()
    try:
        yield session
    finally:
        session.close()
