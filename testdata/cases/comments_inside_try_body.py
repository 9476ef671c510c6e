# proves: standalone comment lines in the try body (top, middle, blank-line separated, end) move with the code
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> int:
    session = SessionLocal()
    try:
        # build the row first
        item = Item(name=name, qty=qty)

        # then stage it
        session.add(item)
        session.flush()
            # an over-indented comment, still inside the body
        item_id = item.id
        session.commit()
        # trailing comment at the end of the body
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return item_id
