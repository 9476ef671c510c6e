"""Nightly job: drop old audit rows."""
from sqlalchemy import delete

from app.db import AuditLog, SessionLocal


def purge_older_than(limit: int) -> None:
    session = SessionLocal()
    try:
        session.execute(delete(AuditLog).where(AuditLog.age_days > limit))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
