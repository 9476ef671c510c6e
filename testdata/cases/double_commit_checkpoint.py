# proves: a mid-body checkpoint commit inside the guard becomes `flush()` as a review rewrite whose reason says what a later error now rolls back
from casefix import Item, NotFound, get_db_session, select


def add_pair(first: str, second: str, qty: int) -> None:
    with get_db_session() as session:
        session.add(Item(name=first, qty=qty))
        session.commit()  # checkpoint: keep the first even if the second fails
        if session.scalar(select(Item).where(Item.name == second)) is not None:
            raise NotFound(f"{second} already exists")
        session.add(Item(name=second, qty=qty))
