# proves: `self.session = SessionLocal()` in __init__, used by the methods, is shared-session (report only)
from casefix import Item, SessionLocal, select


class Inventory:
    def __init__(self) -> None:
        self.session = SessionLocal()

    def add(self, name: str, qty: int) -> None:
        self.session.add(Item(name=name, qty=qty))
        self.session.commit()

    def total(self) -> int:
        return sum(item.qty for item in self.session.scalars(select(Item)))
