from contextlib import contextmanager

from recorder.core import HomeAssistant, get_instance


@contextmanager
def session_scope(*, hass: HomeAssistant, session=None):
    """A transaction on the recorder's database (or on `session` when given)."""
    if session is None:
        session = get_instance(hass).get_session()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
