# proves: where setup.py allows SQLAlchemy below 1.4, SQLAlchemy's own guard forms (`Session.begin()`, `Session(bind=...)` with `.begin()`) are not written: the blocks stay manual with the reason
from sqlalchemy import orm

from wiki.db import Page, Session, engine


def add_page(name):
    session = Session()
    try:
        session.add(Page(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def rename_page(page_id, name):
    session = Session()
    page = session.query(Page).get(page_id)
    page.name = name
    session.commit()


def page_count():
    session = orm.Session(bind=engine)
    try:
        return session.query(Page).count()
    finally:
        session.close()
