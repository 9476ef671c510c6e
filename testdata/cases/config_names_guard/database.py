# proves: a guard that is a method of a manager object, reachable only through config
import logging
from contextlib import contextmanager

from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)


class Base(DeclarativeBase):
    pass


class Restaurant(Base):
    __tablename__ = "restaurants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    city: Mapped[str] = mapped_column(String(80), default="")


class DatabaseManager:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=StaticPool)
        Base.metadata.create_all(self.engine)

    @contextmanager
    def session_scope(self):
        session = Session(self.engine)
        try:
            yield session
            session.commit()
        except Exception as e:
            logger.error("session rolled back: %s", e)
            session.rollback()
            raise
        finally:
            session.close()


db_manager = DatabaseManager("sqlite://")
engine = db_manager.engine
