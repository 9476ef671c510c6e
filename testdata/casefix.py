"""Shared world for the single-file cases in testdata/cases/.

Every case does `from casefix import ...`. This module holds the factory, the models,
the scope guard the codemod rewrites towards, its async twin and a FastAPI-style
generator dependency. It imports with SQLAlchemy alone: the async factory is left
unbound until `configure_async(url)` is called (that needs an async driver).
"""
import logging
import os
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import Integer, String, create_engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

__all__ = [
    "AsyncSessionLocal",
    "Base",
    "IntegrityError",
    "Item",
    "NotFound",
    "Session",
    "SessionLocal",
    "configure_async",
    "create_async_tables",
    "engine",
    "get_async_session",
    "get_db_session",
    "get_session",
    "logger",
    "reset_db",
    "select",
    "text",
]

logger = logging.getLogger("casefix")

# Default: one in-memory database shared by every session of the process.
# A harness may set CASEFIX_DB (e.g. a file URL) to share the data with the async side.
DB_URL = os.environ.get("CASEFIX_DB", "sqlite://")
if DB_URL == "sqlite://":
    engine = create_engine(DB_URL, poolclass=StaticPool, connect_args={"check_same_thread": False})
else:
    engine = create_engine(DB_URL)
SessionLocal = sessionmaker(bind=engine)

# Unbound on purpose: binding needs an async driver (aiosqlite, asyncpg...).
AsyncSessionLocal = async_sessionmaker(class_=AsyncSession)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    qty: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"Item(id={self.id!r}, name={self.name!r}, qty={self.qty!r})"


class NotFound(Exception):
    """Raised by the cases when a row they need is missing."""


@contextmanager
def get_db_session():
    """The scope guard: commit on success, rollback on error, always close."""
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@asynccontextmanager
async def get_async_session():
    """Async twin of get_db_session()."""
    session = AsyncSessionLocal()
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()


def get_session():
    """FastAPI-style dependency: yields a session and closes it; never commits."""
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()


def configure_async(url: str):
    """Bind AsyncSessionLocal to an async engine (e.g. "sqlite+aiosqlite:///x.db")."""
    async_engine = create_async_engine(url)
    AsyncSessionLocal.configure(bind=async_engine)
    return async_engine


async def create_async_tables(async_engine) -> None:
    """Create the tables through an async engine (for an in-memory async database)."""
    async with async_engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


def reset_db() -> None:
    """Drop and recreate every table: a clean slate for a before/after run."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


Base.metadata.create_all(engine)
