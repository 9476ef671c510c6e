# proves: `Session(bind=conn)` on a connection of its own (a migration's) is not moved onto the codebase guard, and a conditional commit in it cannot live inside SQLAlchemy's `begin()`: manual
from sqlalchemy.orm import Session

from casefix import Item, engine


def migrate(flag: bool) -> None:
    conn = engine.connect()
    session = Session(bind=conn)
    session.query(Item).filter(Item.qty < 0).update({Item.qty: 0})
    if flag:
        session.commit()
    conn.close()
