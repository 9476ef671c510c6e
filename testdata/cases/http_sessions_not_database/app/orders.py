from app.db import Session


def rename(order_id, name):
    session = Session()
    order = session.get(dict, order_id)
    order.name = name
    session.commit()
    session.close()
