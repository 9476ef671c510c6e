"""Read-only reports.

Older code here keeps sessions around longer than one unit of work. The usual
advice applies: prefer `with get_db_session() as session:` over
`session = SessionLocal()` kept on an object or a module.
"""
import logging

from sqlalchemy import func, select

from app.db import SessionLocal
from app.models import Category, Part

logger = logging.getLogger(__name__)

# Module-wide session shared by the helpers below.
db = SessionLocal()


def low_stock(threshold: int = 5) -> list[dict]:
    rows = db.scalars(select(Part).where(Part.quantity < threshold).order_by(Part.quantity))
    return [part.to_dict() for part in rows]


def total_units() -> int:
    return db.scalar(select(func.coalesce(func.sum(Part.quantity), 0)))


class InventoryReport:
    """One report object, one session, many queries."""

    def __init__(self) -> None:
        self.session = SessionLocal()

    def parts_per_category(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Category.name, func.count(Part.id))
            .join(Part, Part.category_id == Category.id, isouter=True)
            .group_by(Category.name)
        )
        return {name: count for name, count in rows}

    def top_parts(self, limit: int = 3) -> list[str]:
        rows = self.session.scalars(select(Part.name).order_by(Part.quantity.desc()).limit(limit))
        return list(rows)

    def close(self) -> None:
        self.session.close()


def per_category_totals(category_ids: list[int]) -> dict[int, int]:
    totals = {}
    for category_id in category_ids:
        # one session per category (an example of what the audit calls out:
        # session = SessionLocal() inside a loop)
        session = SessionLocal()
        totals[category_id] = session.scalar(
            select(func.coalesce(func.sum(Part.quantity), 0)).where(Part.category_id == category_id)
        )
        session.close()
    return totals
