# proves: a block whose session comes from the registry and is removed from it in `finally:` is manual with the line of the remove()
from sqlalchemy import text

from db import Registry


def run_job() -> None:
    session = Registry()
    try:
        session.execute(text("select 1"))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        Registry.remove()
