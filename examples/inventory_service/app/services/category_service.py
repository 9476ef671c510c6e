"""Categories."""
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import SessionLocal, get_db_session, get_session
from app.errors import ResourceNotFoundError
from app.models import Category, Part

logger = logging.getLogger(__name__)


class CategoryService:
    @staticmethod
    def add_category(category_data: dict) -> dict:
        try:
            session = next(get_session())
            existing = session.scalar(
                select(Category).where(Category.name == category_data["name"])
            )
            if existing:
                raise ValueError(f"Category '{category_data['name']}' already exists")
            category = Category(**category_data)
            session.add(category)
            session.commit()
            return {
                "status": "success",
                "message": f"Category '{category.name}' created",
                "data": category.to_dict(),
            }
        except ValueError:
            raise
        except Exception as e:
            logger.error(f"Failed to add category: {e}")
            raise ValueError(f"Failed to add category: {str(e)}")

    @staticmethod
    def create_category_quick(name: str) -> dict:
        session = next(get_session())
        new_category = Category(name=name)
        session.add(new_category)
        session.commit()
        return new_category.to_dict()

    @staticmethod
    def get_category(category_id: int | None = None, name: str | None = None) -> dict:
        if category_id is None and name is None:
            raise ValueError("Either category_id or name must be provided")
        session = next(get_session())
        try:
            if category_id is not None:
                category = session.get(Category, category_id)
            else:
                category = session.scalar(select(Category).where(Category.name == name))
            if category is None:
                raise ResourceNotFoundError("category", category_id or name)
            result = category.to_dict()
        except ResourceNotFoundError as rnfe:
            raise rnfe
        except Exception as e:
            logger.error(f"Unexpected error: {str(e)}")
            raise ValueError(f"Failed to get category: {str(e)}")
        session.close()
        return result

    @staticmethod
    def rename_category(category_id: int, new_name: str) -> bool:
        with get_db_session() as session:
            category = session.get(Category, category_id)
            if category is None:
                raise ResourceNotFoundError("category", category_id)
            category.name = new_name
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                logger.warning(f"Category rename failed - name taken: {new_name}")
                return False
            return True

    @staticmethod
    def delete_category(category_id: int) -> bool | None:
        session = SessionLocal()
        try:
            category = session.get(Category, category_id)
            if category is None:
                raise ResourceNotFoundError("category", category_id)
            for part in session.scalars(select(Part).where(Part.category_id == category_id)):
                part.category_id = None
            session.delete(category)
            session.commit()
            return True
        except ResourceNotFoundError:
            session.rollback()
            return False
        except IntegrityError as e:
            session.rollback()
            logger.error(f"Category {category_id} is still referenced: {e}")
            raise
        except Exception:
            session.rollback()
            logger.exception(f"Failed to delete category {category_id}")
            return None
        finally:
            session.close()

    @staticmethod
    def get_all_categories() -> list[dict]:
        with get_db_session() as session:
            return [c.to_dict() for c in session.scalars(select(Category).order_by(Category.name))]
