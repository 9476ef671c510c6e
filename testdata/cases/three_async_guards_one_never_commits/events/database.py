"""Three async session scopes. Two commit on exit; `get_fixed_session` never does: its
callers commit themselves (the fixed-schedule jobs decide what is durable)."""
from contextlib import asynccontextmanager

from sqlalchemy import Boolean, Integer, String, create_engine
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine("sqlite+aiosqlite://")
SessionFactory = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


# The schema, made once at import through a sync engine on the same database.
Base.metadata.create_all(create_engine("sqlite://"))


def make_factory():
    return async_sessionmaker(engine, expire_on_commit=False)


_factory = make_factory()


@asynccontextmanager
async def get_session():
    session = SessionFactory()
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()


@asynccontextmanager
async def get_background_session():
    async with _factory() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


@asynccontextmanager
async def get_fixed_session():
    """Rolls back on error and closes; never commits (callers do)."""
    session = SessionFactory()
    try:
        yield session
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()
