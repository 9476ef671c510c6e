# proves: a factory stored on self in __init__ (`self.SessionLocal = SessionLocal`) and called as `self.SessionLocal()` is still a factory
from casefix import Item, SessionLocal


class ItemStore:
    def __init__(self) -> None:
        self.SessionLocal = SessionLocal

    def add(self, name: str, qty: int) -> int:
        session = self.SessionLocal()
        try:
            item = Item(name=name, qty=qty)
            session.add(item)
            session.commit()
            return item.id
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
