# proves: `with SessionLocal.begin() as s:` already commits/rolls back/closes: raw-factory-with with identical semantics
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    with SessionLocal.begin() as s:
        s.add(Item(name=name, qty=qty))
