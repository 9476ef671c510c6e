"""Parts: lookups, stock changes, search."""
import logging

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import SessionLocal, engine, get_db_session, get_session
from app.errors import DuplicateResourceError, ResourceNotFoundError
from app.models import Part

logger = logging.getLogger(__name__)


class PartService:
    @staticmethod
    def get_part_by_id(part_id: int) -> dict:
        session = next(get_session())
        try:
            part = session.get(Part, part_id)
            if part is None:
                raise ResourceNotFoundError("part", part_id)
            return part.to_dict()
        except ResourceNotFoundError as e:
            raise e
        except Exception as e:
            logger.error(f"Unexpected error loading part {part_id}: {str(e)}")
            raise ValueError(f"Failed to load part: {str(e)}")
        finally:
            session.close()

    @staticmethod
    def get_part_by_name(name: str) -> dict | None:
        session = next(get_session())
        try:
            part = session.scalar(select(Part).where(Part.name == name))
            if part:
                return part.to_dict()
            return None
        except Exception as e:
            logger.error(f"Failed to get part by name: {e}")
            return None

    @staticmethod
    def add_part(name: str, quantity: int = 0, category_id: int | None = None,
                 part_number: str | None = None) -> dict:
        session = SessionLocal()
        try:
            part = Part(name=name, quantity=quantity, category_id=category_id,
                        part_number=part_number)
            session.add(part)
            session.commit()  # persist the part
            session.refresh(part)
            logger.info(f"Successfully added part: {name} (ID: {part.id})")
            return part.to_dict()
        except IntegrityError:
            session.rollback()
            logger.warning(f"Part add failed - duplicate name: {name}")
            raise DuplicateResourceError(name)
        except Exception as e:
            session.rollback()
            logger.error(f"Failed to add part {name}: {e}")
            raise
        finally:
            session.close()

    @staticmethod
    def update_quantity(part_id: int, new_quantity: int) -> dict:
        if new_quantity < 0:
            raise ValueError("quantity cannot be negative")
        session = SessionLocal()
        try:
            part = session.get(Part, part_id)
            if part is None:
                raise ResourceNotFoundError("part", part_id)
            old = part.quantity
            part.quantity = new_quantity
            result = {"id": part.id, "old": old, "new": new_quantity}
        except Exception:
            session.rollback()
            raise
        else:
            session.commit()
        finally:
            session.close()
        logger.info(f"Quantity of part {part_id}: {result['old']} -> {result['new']}")
        return result

    @staticmethod
    def delete_part(part_id: int) -> bool:
        try:
            session = next(get_session())
            part = session.get(Part, part_id)
            if part is None:
                raise ResourceNotFoundError("part", part_id)
            session.delete(part)
            session.commit()
            logger.info(f"Deleted part {part_id}")
            return True
        except ResourceNotFoundError as rnfe:
            raise rnfe
        except Exception as e:
            session.rollback()
            logger.error(f"Failed to delete part {part_id}: {e}")
            raise ValueError(f"Failed to delete part: {str(e)}")
        finally:
            session.close()

    @staticmethod
    def clear_all_parts() -> int:
        with get_db_session() as session:
            count = session.scalar(select(func.count(Part.id)))
            session.execute(delete(Part))
            session.commit()
        logger.info(f"Cleared {count} parts")
        return count

    @staticmethod
    def get_part_counts() -> dict:
        with SessionLocal() as db:
            total = db.scalar(select(func.count(Part.id)))
            in_stock = db.scalar(select(func.count(Part.id)).where(Part.quantity > 0))
        return {"total": total, "in_stock": in_stock}

    @staticmethod
    def search_parts(term: str) -> list[dict]:
        pattern = f"%{term}%"
        with Session(engine) as session:
            rows = session.scalars(
                select(Part)
                .where(or_(Part.name.ilike(pattern), Part.part_number.ilike(pattern)))
                .order_by(Part.name)
            )
            return [part.to_dict() for part in rows]

    @staticmethod
    def try_reserve(part_id: int, amount: int) -> bool:
        session = SessionLocal()
        try:
            part = session.get(Part, part_id)
            if part is None or part.quantity < amount:
                return False
            part.quantity -= amount
            session.commit()
            return True
        except Exception:
            logger.exception(f"Reservation of {amount} x part {part_id} failed")
            return None
        finally:
            session.close()


def list_parts(db: Session, limit: int = 100) -> list[dict]:
    """Route helper: the caller owns `db`."""
    return [p.to_dict() for p in db.scalars(select(Part).order_by(Part.name).limit(limit))]


def bulk_adjust(adjustments: dict[str, int]) -> int:
    """Apply {part name: delta}; each part in its own transaction."""
    applied = 0
    for name, delta in adjustments.items():
        session = SessionLocal()
        part = session.scalar(select(Part).where(Part.name == name))
        if part is not None:
            part.quantity = max(0, part.quantity + delta)
            session.commit()
            applied += 1
        session.close()
    return applied


def rename_part(part_id: int, new_name: str) -> dict:
    with get_db_session() as session:
        part = session.get(Part, part_id)
        if part is None:
            raise ResourceNotFoundError("part", part_id)
        part.name = new_name
        return part.to_dict()
