# proves: `session.commit()` as the last statement inside the guard is a double transaction and can simply go
from casefix import Item, get_db_session


def add_item(name: str, qty: int) -> None:
    with get_db_session() as session:
        session.add(Item(name=name, qty=qty))
        session.commit()
