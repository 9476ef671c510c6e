# proves: a rollback in a handler that swallows the error inside the guard is needed (without it the guard would commit a failed session), so it is neither reported nor removed
from casefix import IntegrityError, Item, get_db_session


def add_or_skip(name: str, qty: int) -> bool:
    with get_db_session() as session:
        try:
            session.add(Item(name=name, qty=qty))
            session.flush()
        except IntegrityError:
            session.rollback()
            return False
        return True
