# proves: a nested def that closes over the session makes the block unsafe to rewrite automatically
from casefix import Item, SessionLocal, select


def total_qty(names_csv: str) -> int:
    session = SessionLocal()
    try:
        def qty_of(name: str) -> int:
            item = session.scalar(select(Item).where(Item.name == name))
            return 0 if item is None else item.qty

        return sum(qty_of(n) for n in names_csv.split(",") if n)
    finally:
        session.close()
