# proves: `with Session(engine) as s:` (Session class called on the engine) is a raw factory too
from casefix import Item, Session, engine, select


def add_item(name: str, qty: int) -> None:
    with Session(engine) as s:
        s.add(Item(name=name, qty=qty))
        s.commit()


def names() -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(Item.name).order_by(Item.name)))
