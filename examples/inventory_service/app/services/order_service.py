"""Supplier orders. The handlers are `async def` but use the sync session."""
import logging

from sqlalchemy import select

from app.db import SessionLocal, get_db_session, get_session
from app.errors import ResourceNotFoundError
from app.models import Order, OrderItem, Part

logger = logging.getLogger(__name__)


async def create_order(supplier: str, lines: dict[int, int] | None = None) -> Order:
    session = next(get_session())
    try:
        order = Order(supplier=supplier)
        for part_id, quantity in (lines or {}).items():
            order.items.append(OrderItem(part_id=part_id, quantity=quantity))
        session.add(order)
        session.commit()
        session.refresh(order)
        logger.info(f"Created order {order.id}")
        return order
    except Exception as e:
        session.rollback()
        logger.error(f"Failed to create order: {e}")
        raise
    finally:
        session.close()


async def add_item_to_order(order_id: int, part_id: int, quantity: int) -> dict:
    session = next(get_session())
    try:
        order = session.get(Order, order_id)
        if order is None:
            raise ResourceNotFoundError("order", order_id)
        if order.status != "draft":
            raise ValueError(f"Order {order_id} is {order.status}, not draft")
        order.items.append(OrderItem(part_id=part_id, quantity=quantity))
        session.commit()  # persist the order
        return order.to_dict()
    except ResourceNotFoundError as e:
        raise e
    except Exception as e:
        session.rollback()  # nothing half-added
        logger.error(f"Failed to add item to order {order_id}: {e}")
        raise ValueError(f"Failed to add item: {str(e)}")
    finally:
        session.close()


def receive_order(order_id: int) -> dict:
    """Mark an order received and book its quantities into stock."""
    session = SessionLocal()
    try:
        order = session.get(Order, order_id)
        if order is None:
            raise ResourceNotFoundError("order", order_id)
        order.status = "receiving"
        session.commit()  # checkpoint: others can see the order is being received
        booked = 0
        for item in order.items:
            part = session.get(Part, item.part_id)
            part.quantity += item.quantity
            booked += item.quantity
        order.status = "received"
        session.commit()
        return {"order": order_id, "booked": booked}
    except Exception as e:
        session.rollback()
        logger.error(f"Failed to receive order {order_id}: {e}")
        raise
    finally:
        session.close()


async def cancel_order(order_id: int) -> bool | None:
    session = SessionLocal()
    try:
        order = session.get(Order, order_id)
        if order is None:
            return False
        order.status = "cancelled"
        session.commit()
        return True
    except Exception:
        logger.exception(f"Could not cancel order {order_id}")
        return None
    finally:
        session.close()


def mark_ordered(order_id: int) -> dict:
    with get_db_session() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise ResourceNotFoundError("order", order_id)
        order.status = "ordered"
        session.commit()
        return {"id": order.id, "status": order.status}


def open_orders() -> list[dict]:
    with get_db_session() as session:
        rows = session.scalars(select(Order).where(Order.status.in_(["draft", "ordered"])))
        return [order.to_dict() for order in rows]


def get_order(order_id: int) -> Order:
    """Returns a live ORM object; the session that loaded it is never closed."""
    session = next(get_session())
    order = session.get(Order, order_id)
    if order is None:
        raise ResourceNotFoundError("order", order_id)
    return order
