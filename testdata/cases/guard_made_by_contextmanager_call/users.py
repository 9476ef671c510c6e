from sqlalchemy import text

from db import SessionLocal, get_db


def add_user(name: str) -> None:
    with get_db() as db:
        db.execute(text("insert into users (name) values (:n)"), {"n": name})
        db.commit()


def rename_user(old: str, new: str) -> None:
    db = SessionLocal()
    try:
        db.execute(text("update users set name = :new where name = :old"), {"new": new, "old": old})
        db.commit()
    finally:
        db.close()
