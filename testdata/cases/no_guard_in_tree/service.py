# proves: manual-lifecycle and leaked-session are found even when the tree has no guard to rewrite to
import logging

from db import SessionLocal, Widget, get_session
from sqlalchemy import select

logger = logging.getLogger(__name__)


def add_widget(name: str) -> int:
    session = next(get_session())
    try:
        widget = Widget(name=name)
        session.add(widget)
        session.commit()
        return widget.id
    except Exception as e:
        session.rollback()
        logger.error(f"Failed to add widget: {e}")
        raise
    finally:
        session.close()


def widget_names() -> list[str]:
    session = SessionLocal()
    return list(session.scalars(select(Widget.name).order_by(Widget.name)))
