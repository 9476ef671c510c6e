# proves: re-indenting a body leaves the inside of a triple-quoted f-string alone and still shifts backslash and bracket continuation lines
from casefix import Item, SessionLocal, logger


def add_item(name: str, qty: int) -> str:
    session = SessionLocal()
    try:
        item = Item(name=name,
                    qty=qty)
        session.add(item)
        total = qty + \
            1
        note = f"""added {name}
qty={qty}
  total={total}"""
        session.commit()
        return note
    except Exception:
        session.rollback()
        logger.exception("add_item failed")
        raise
    finally:
        session.close()
