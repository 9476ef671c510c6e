# proves: `session = next(get_session())` used and never closed is a leaked session
from casefix import Item, get_session


def create_item(name: str, qty: int) -> dict:
    session = next(get_session())
    new_item = Item(name=name, qty=qty)
    session.add(new_item)
    session.commit()
    return {"id": new_item.id, "name": new_item.name}
