# proves: the guard the blocks use commits on exit, rolls back on error and closes
from contextlib import contextmanager

from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", poolclass=StaticPool)
SessionLocal = sessionmaker(bind=engine)


class Base(DeclarativeBase):
    pass


class Gauge(Base):
    __tablename__ = "gauges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


Base.metadata.create_all(engine)


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
