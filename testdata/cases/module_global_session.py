# proves: a module-global `db = SessionLocal()` used by functions is shared-session (report only)
from casefix import Item, SessionLocal, select

db = SessionLocal()


def get_item(name: str) -> Item | None:
    return db.scalar(select(Item).where(Item.name == name))


def add_item(name: str, qty: int) -> None:
    db.add(Item(name=name, qty=qty))
    db.commit()
