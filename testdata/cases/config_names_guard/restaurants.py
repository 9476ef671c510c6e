# proves: Session(engine) blocks are rewritten to the configured `db_manager.session_scope()`; a commit inside it is double-transaction
from database import Restaurant, db_manager, engine
from sqlalchemy import select
from sqlalchemy.orm import Session


def add_restaurant(name: str, city: str) -> int:
    session = Session(engine)
    try:
        restaurant = Restaurant(name=name, city=city)
        session.add(restaurant)
        session.commit()
        return restaurant.id
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def restaurants_in(city: str) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Restaurant.name).where(Restaurant.city == city)))


def move_restaurant(name: str, city: str) -> bool:
    with db_manager.session_scope() as session:
        restaurant = session.scalar(select(Restaurant).where(Restaurant.name == name))
        if restaurant is None:
            return False
        restaurant.city = city
        session.commit()
        return True
