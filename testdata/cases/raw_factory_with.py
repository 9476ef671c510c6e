# proves: `with SessionLocal() as s:` in a tree that has a guard is raw-factory-with (a write that commits, a read that does not)
from casefix import Item, SessionLocal, select


def add_item(name: str, qty: int) -> None:
    with SessionLocal() as s:
        s.add(Item(name=name, qty=qty))
        s.commit()


def qty_of(name: str) -> int:
    with SessionLocal() as s:
        item = s.scalar(select(Item).where(Item.name == name))
        return 0 if item is None else item.qty


def preview_zero(name: str) -> int:
    # A dry run: changes the row, never commits. A committing guard would save it.
    with SessionLocal() as s:
        item = s.scalar(select(Item).where(Item.name == name))
        if item is None:
            return 0
        before = item.qty
        item.qty = 0
        return before
