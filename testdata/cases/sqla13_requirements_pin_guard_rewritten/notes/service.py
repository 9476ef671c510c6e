# proves: in a project pinned to SQLAlchemy 1.3 by requirements.txt, blocks are rewritten into the project's own guard (valid on 1.3, run there by the harness), but a block on another engine, which would need SQLAlchemy's `Session(bind=...)` with `.begin()`, stays manual with the reason
from sqlalchemy import create_engine, orm

from notes.db import DBSession, Note


def add_note(name):
    session = DBSession()
    try:
        session.add(Note(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def note_names():
    session = DBSession()
    try:
        return sorted(n.name for n in session.query(Note))
    finally:
        session.close()


def count_elsewhere(url):
    other = create_engine(url)
    session = orm.Session(bind=other)
    try:
        return session.query(Note).count()
    finally:
        session.close()
