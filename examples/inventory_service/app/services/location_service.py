"""Storage locations (rooms, shelves, bins)."""
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import SessionLocal, engine, get_db_session, get_session
from app.errors import ResourceNotFoundError
from app.models import Location, Part

logger = logging.getLogger(__name__)


class LocationService:
    @staticmethod
    def get_all_locations() -> list[dict]:
        session = next(get_session())
        try:
            return [loc.to_dict() for loc in session.scalars(select(Location).order_by(Location.name))]
        except Exception as e:
            raise ValueError(f"Failed to retrieve all locations: {str(e)}")

    @staticmethod
    def get_location_details(location_id: int) -> dict:
        with Session(engine) as session:
            location = session.get(Location, location_id)
            if location is None:
                raise ResourceNotFoundError("location", location_id)
            children = session.scalars(select(Location).where(Location.parent_id == location_id))
            location_data = location.to_dict()
            location_data["children"] = [child.to_dict() for child in children]
            return {
                "status": "success",
                "message": "Location details retrieved successfully",
                "data": location_data,
            }

    @staticmethod
    def add_location(name: str, location_type: str = "shelf", parent_id: int | None = None) -> dict:
        try:
            session = SessionLocal()
            # A child must point at an existing parent.
            if parent_id is not None and session.get(Location, parent_id) is None:
                raise ResourceNotFoundError("location", parent_id)
            location = Location(name=name, location_type=location_type, parent_id=parent_id)
            session.add(location)
            session.commit()
            logger.info(f"Successfully added location: {name} (ID: {location.id})")
            return location.to_dict()
        except ResourceNotFoundError as e:
            raise e
        except Exception as e:
            session.rollback()
            logger.error(f"Failed to add location {name}: {e}")
            raise ValueError(f"Failed to add location: {str(e)}")
        finally:
            session.close()

    @staticmethod
    def update_location(location_id: int, name: str | None = None,
                        location_type: str | None = None) -> dict:
        session = SessionLocal()
        try:
            location = session.get(Location, location_id)
            if location is None:
                raise ResourceNotFoundError("location", location_id)
            if name is not None:
                location.name = name
            if location_type is not None:
                location.location_type = location_type
            session.commit()
            updated = location.to_dict()
        except Exception as e:
            session.rollback()
            logger.error(f"Failed to update location {location_id}: {e}")
            raise
        session.close()
        return updated

    @staticmethod
    def delete_location(location_id: int) -> dict:
        with get_db_session() as session:
            location = session.get(Location, location_id)
            if location is None:
                raise ResourceNotFoundError("location", location_id)
            # Detach the parts first and make that stick even if the delete fails.
            moved = 0
            for part in session.scalars(select(Part).where(Part.location_id == location_id)):
                part.location_id = None
                moved += 1
            session.commit()
            for child in session.scalars(select(Location).where(Location.parent_id == location_id)):
                child.parent_id = location.parent_id
            session.delete(location)
        return {"deleted": location_id, "parts_unassigned": moved}

    @staticmethod
    def location_path(location_id: int) -> list[str]:
        """Names from the root down to this location.

        Opens one session for the whole walk (do not write
        `session = SessionLocal()` inside the loop).
        """
        with get_db_session() as session:
            names = []
            current = session.get(Location, location_id)
            while current is not None:
                names.append(current.name)
                current = session.get(Location, current.parent_id) if current.parent_id else None
            return list(reversed(names))
