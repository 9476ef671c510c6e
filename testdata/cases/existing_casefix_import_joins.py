# proves: the guard import joins the existing `from casefix import SessionLocal`, and SessionLocal becomes unused after the rewrite
from casefix import SessionLocal
from sqlalchemy import text


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.execute(text("INSERT INTO items (name, qty) VALUES (:n, :q)"), {"n": name, "q": qty})
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
