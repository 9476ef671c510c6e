# proves: a second manual block inside the first one's try body gives two findings, each with its own extent
from casefix import Item, NotFound, SessionLocal, select


def copy_item(name: str, new_name: str) -> int:
    outer = SessionLocal()
    try:
        src = outer.scalar(select(Item).where(Item.name == name))
        if src is None:
            raise NotFound(name)
        inner = SessionLocal()
        try:
            clone = Item(name=new_name, qty=src.qty)
            inner.add(clone)
            inner.commit()
            clone_id = clone.id
        except Exception:
            inner.rollback()
            raise
        finally:
            inner.close()
        src.qty = 0
        outer.commit()
        return clone_id
    except Exception:
        outer.rollback()
        raise
    finally:
        outer.close()
