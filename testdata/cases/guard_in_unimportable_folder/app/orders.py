from app.db import SessionLocal


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
