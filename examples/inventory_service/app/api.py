"""Route-style handlers. The session comes from the dependency; none of this is a finding."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Depends, get_db, get_session
from app.models import Category, Part
from app.services.part_service import list_parts


def read_parts(limit: int = 100, db: Session = Depends(get_db)) -> list[dict]:
    return list_parts(db, limit=limit)


def read_category(category_id: int, session: Session = Depends(get_session)) -> dict | None:
    category = session.get(Category, category_id)
    return None if category is None else category.to_dict()


def count_parts(db: Session) -> int:
    return len(db.scalars(select(Part.id)).all())


def call(handler, *args):
    """Poor man's dependency injection for the smoke test: resolve one generator dependency."""
    dependency = handler.__defaults__[-1]
    gen = dependency()
    session = next(gen)
    try:
        return handler(*args, session)
    finally:
        gen.close()
