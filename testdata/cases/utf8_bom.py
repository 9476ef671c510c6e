# proves: a UTF-8 BOM at file start is kept and column/offset maths stays right with non-ASCII text
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> str:
    label = "café ✓"  # non-ASCII before the block
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()  # validé
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return label
