"""Written to the standard: every session comes from `get_db_session()`."""
from sqlalchemy import select

from app.db import Note, get_db_session


def create_note(name: str, body: str) -> int:
    with get_db_session() as db:
        note = Note(name=name, body=body)
        db.add(note)
        db.flush()
        return note.id


def note_body(note_id: int) -> str | None:
    with get_db_session() as db:
        note = db.get(Note, note_id)
        return None if note is None else note.body


def rename_note(note_id: int, name: str) -> bool:
    with get_db_session() as db:
        note = db.get(Note, note_id)
        if note is None:
            return False
        note.name = name
        db.commit()
    return True


def delete_note(note_id: int) -> None:
    with get_db_session() as db:
        note = db.get(Note, note_id)
        if note is not None:
            db.delete(note)
        db.commit()


def note_names() -> list[str]:
    with get_db_session() as db:
        return list(db.scalars(select(Note.name).order_by(Note.name)))
