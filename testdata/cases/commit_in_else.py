# proves: the commit sitting in the `else:` clause of the try is recognised as the block's commit
from casefix import Item, NotFound, SessionLocal


def bump(item_id: int, delta: int) -> int:
    session = SessionLocal()
    try:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(item_id)
        item.qty += delta
        new_qty = item.qty
    except Exception:
        session.rollback()
        raise
    else:
        session.commit()
    finally:
        session.close()
    return new_qty
