# proves: a commit inside the guard followed only by reads of what it wrote becomes `flush()` (review, reason names what changes)
from casefix import Item, get_db_session


def create_item(name: str, qty: int) -> dict:
    with get_db_session() as session:
        item = Item(name=name, qty=qty)
        session.add(item)
        session.commit()  # make the id visible to the caller
        session.refresh(item)
        return {"id": item.id, "name": item.name, "qty": item.qty}
