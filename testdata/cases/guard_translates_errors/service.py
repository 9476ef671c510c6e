from sqlalchemy import text

from db import SessionLocal


def touch() -> None:
    session = SessionLocal()
    try:
        session.execute(text("create table if not exists t (x int)"))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
