# proves: a checkpoint commit followed by an explicit rollback stays manual: as `flush()` the rollback would undo the work before it too
from casefix import IntegrityError, Item, get_db_session


def add_pair_keep_first(first: str, second: str) -> bool:
    with get_db_session() as session:
        session.add(Item(name=first, qty=1))
        session.commit()  # the first one stays whatever happens to the second
        try:
            session.add(Item(name=second, qty=1))
            session.flush()
        except IntegrityError:
            session.rollback()
            return False
        return True
