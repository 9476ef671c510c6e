# proves: a new session on every iteration of a for loop is session-per-iteration (report only)
from casefix import Item, SessionLocal, select


def restock_all(names_csv: str, amount: int) -> int:
    touched = 0
    for name in names_csv.split(","):
        session = SessionLocal()
        item = session.scalar(select(Item).where(Item.name == name))
        if item is not None:
            item.qty += amount
            session.commit()
            touched += 1
        session.close()
    return touched
