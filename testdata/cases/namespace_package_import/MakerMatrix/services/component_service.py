from sqlalchemy import select

from MakerMatrix.database.db import Component, SessionLocal


class ComponentService:
    def add_component(self, name: str, stock: int) -> int:
        session = SessionLocal()
        try:
            component = Component(name=name, stock=stock)
            session.add(component)
            session.commit()
            return component.id
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def restock(self, component_id: int, quantity: int) -> None:
        session = SessionLocal()
        try:
            component = session.get(Component, component_id)
            if component is not None:
                component.stock += quantity
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def names(self) -> list[str]:
        with SessionLocal() as session:
            return list(session.scalars(select(Component.name).order_by(Component.name)))
