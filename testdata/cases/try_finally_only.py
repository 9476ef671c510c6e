# proves: try/finally with the commit in the body and no except is a manual block (close already rolls back on error)
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
    session = SessionLocal()
    try:
        session.add(Item(name=name, qty=qty))
        session.commit()
    finally:
        session.close()
