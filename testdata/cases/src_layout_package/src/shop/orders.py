from sqlalchemy import select

from shop.db import Cart, SessionLocal


def add_to_cart(cart_id: int, quantity: int) -> None:
    session = SessionLocal()
    try:
        cart = session.get(Cart, cart_id)
        if cart is not None:
            cart.items += quantity
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def cart_names() -> list[str]:
    with SessionLocal() as session:
        return list(session.scalars(select(Cart.name).order_by(Cart.name)))
