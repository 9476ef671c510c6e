# proves: a scoped session whose registry is also used inside the block (`Registry.query`, `Registry.remove()`) is reported, not rewritten: the guard would close the thread's shared session
from sqlalchemy.orm import scoped_session

from casefix import Item, SessionLocal

Registry = scoped_session(SessionLocal)


def rename(item_id: int, name: str) -> None:
    session = Registry()
    item = Registry.query(Item).get(item_id)
    item.name = name
    session.add(item)
    session.commit()
    Registry.remove()
