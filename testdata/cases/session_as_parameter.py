# proves: functions that receive the session as a parameter (`db: Session`) are not findings, nor is correct guard use
from casefix import Item, Session, get_db_session, select


def list_items(db: Session) -> list[str]:
    return [item.name for item in db.scalars(select(Item).order_by(Item.name))]


def add_item(db: Session, name: str, qty: int) -> None:
    db.add(Item(name=name, qty=qty))
    db.flush()


def add_and_list(name: str, qty: int) -> list[str]:
    with get_db_session() as db:
        add_item(db, name, qty)
        return list_items(db)
