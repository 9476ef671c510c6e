# proves: a rollback in a try/except inside the guard is reported; it cannot just be deleted (the guard would then commit a failed session)
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
