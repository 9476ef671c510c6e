# proves: a `try:` that opens before `session = ...` is still one manual block
from casefix import Item, SessionLocal, logger


def add_item(name: str, qty: int) -> dict:
    try:
        session = SessionLocal()
        item = Item(name=name, qty=qty)
        session.add(item)
        session.commit()
        return {"id": item.id, "name": item.name}
    except Exception as e:
        logger.error(f"Failed to add item {name}: {e}")
        raise ValueError(f"Failed to add item: {e}")
    finally:
        session.close()
