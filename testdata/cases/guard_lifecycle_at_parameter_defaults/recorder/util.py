import logging
from contextlib import contextmanager

from recorder.core import get_instance

_LOGGER = logging.getLogger(__name__)


@contextmanager
def session_scope(*, hass=None, session=None, exception_filter=None, read_only=False):
    """A transaction on the recorder's database, or on `session` when one is given.

    With `read_only` nothing is committed; `exception_filter` may swallow an error.
    """
    if session is None and hass is not None:
        session = get_instance(hass).get_session()

    if session is None:
        raise RuntimeError("Session required")

    need_rollback = False
    try:
        yield session
        if session.get_transaction() and not read_only:
            need_rollback = True
            session.commit()
    except Exception as err:
        _LOGGER.exception("Error executing query: %s", err)
        if need_rollback:
            session.rollback()
        if not exception_filter or not exception_filter(err):
            raise
    finally:
        session.close()
