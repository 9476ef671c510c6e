# proves: a project pinned below SQLAlchemy 1.4 in a subfolder of the tree gets no 1.4 form (the blocks are manual with the setup.py that says so)
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
