# proves: `sessionmaker = sa.orm.sessionmaker()` binds a factory (not a session); the session it makes is the block
import sqlalchemy as sa

from casefix import Item, engine


def zero_negative() -> None:
    sessionmaker = sa.orm.sessionmaker()
    session = sessionmaker(bind=engine)
    for item in session.query(Item).filter(Item.qty < 0).all():
        item.qty = 0
        session.merge(item)
    session.commit()
