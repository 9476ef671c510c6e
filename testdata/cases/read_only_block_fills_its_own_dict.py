# proves: a block that only reads and fills a dict it built itself is read-only (safe); one that stores into a container it did not build is not
from casefix import Item, SessionLocal, select


def item_card(item_id: int) -> dict:
    session = SessionLocal()
    item = session.get(Item, item_id)
    card = {"id": item_id}
    card["name"] = item.name if item else None
    card["others"] = [i.name for i in session.scalars(select(Item).where(Item.id != item_id))]
    session.close()
    return card


def rename_in_place(item_id: int, names: dict) -> None:
    session = SessionLocal()
    item = session.get(Item, item_id)
    names[item_id] = item.name if item else None
    session.close()
