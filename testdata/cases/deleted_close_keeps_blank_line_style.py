# proves: deleting the `close()` that ends a function does not join the blank lines around it (two between top-level functions stay two)
from casefix import Item, SessionLocal


def count_items() -> int:
    session = SessionLocal()
    n = session.query(Item).count()

    session.close()


def list_names() -> list:
    session = SessionLocal()
    names = [i.name for i in session.query(Item).all()]

    session.close()

    return names
