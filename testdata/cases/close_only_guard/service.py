# proves: manual block is reported but not turned into open_session() minus its commit; the commit inside open_session() is legitimate
from db import SessionLocal, Widget, open_session
from sqlalchemy import select


def add_widget(name: str) -> None:
    session = SessionLocal()
    try:
        session.add(Widget(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def rename_widget(old: str, new: str) -> bool:
    with open_session() as session:
        widget = session.scalar(select(Widget).where(Widget.name == old))
        if widget is None:
            return False
        widget.name = new
        session.commit()
        return True
