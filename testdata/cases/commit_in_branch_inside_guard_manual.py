# proves: a commit inside a branch of a guard's body is not turned into `flush()`: one commit on exit is not the same transaction there
from casefix import Item, get_db_session, select


def restock(name: str, qty: int, commit_now: bool) -> None:
    with get_db_session() as session:
        item = session.scalar(select(Item).where(Item.name == name))
        item.qty += qty
        if commit_now:
            session.commit()
        session.add(Item(name=f"{name}-restock", qty=qty))
