# proves: an ORM object loaded through a leaked session and returned still needs that session; a guard would detach it
from casefix import Item, SessionLocal


def load_item(item_id: int) -> Item | None:
    session = SessionLocal()
    return session.get(Item, item_id)
