from sqlalchemy import func, select

from MakerMatrix.database.db import Component, SessionLocal


def total_stock() -> int:
    session = SessionLocal()
    try:
        return session.scalar(select(func.coalesce(func.sum(Component.stock), 0)))
    finally:
        session.close()
