# proves: a plain manual block whose rewrite target is ambiguous
from db import SessionLocal, Widget


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
