"""Older code, written before get_db_session() existed."""
from sqlalchemy import func, select

from app.db.session import SessionLocal
from app.db.models import Note


def append_to_note(note_id: int, text: str) -> None:
    db = SessionLocal()
    try:
        note = db.get(Note, note_id)
        if note is not None:
            note.body = note.body + text
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()


def count_notes() -> int:
    with SessionLocal() as db:
        return db.scalar(select(func.count()).select_from(Note))


def import_notes(name: str) -> None:
    db = SessionLocal()
    try:
        db.add(Note(name=name, body="imported"))
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.close()
