# proves: decorators on the enclosing function (and on a method) are left untouched by the rewrite
import functools

from casefix import Item, SessionLocal, logger


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        logger.debug("calling %s", fn.__name__)
        return fn(*args, **kwargs)

    return wrapper


@logged
def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


class Items:
    @staticmethod
    @logged
    def add(name: str, qty: int) -> None:
        session = SessionLocal()
        try:
            session.add(Item(name=name, qty=qty))
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
