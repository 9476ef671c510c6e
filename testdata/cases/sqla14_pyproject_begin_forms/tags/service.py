# proves: where pyproject.toml requires SQLAlchemy 1.4 or later, blocks become SQLAlchemy's own guard forms (`TagSession.begin()`, `Session(bind=...)` with `.begin()`), run by the harness under 1.4 and 2.0
from sqlalchemy import orm

from tags.db import Tag, TagSession, engine


def add_tag(name):
    session = TagSession()
    try:
        session.add(Tag(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def rename_tag(tag_id, name):
    session = TagSession()
    tag = session.get(Tag, tag_id)
    tag.name = name
    session.commit()


def remove_tag(tag_id):
    session = orm.Session(bind=engine)
    try:
        tag = session.get(Tag, tag_id)
        if tag is not None:
            session.delete(tag)
        session.commit()
    finally:
        session.close()
