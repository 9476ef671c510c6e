from app.db import Order, Session


def rename(order_id, name):
    session = Session()
    order = session.get(Order, order_id)
    if order is None:
        order = Order(id=order_id, name=name)
        session.add(order)
    order.name = name
    session.commit()
    session.close()
