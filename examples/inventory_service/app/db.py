"""Engine, session factories and the session helpers every module should use.

New code should write `with get_db_session() as session:` (or the async twin).
Route handlers receive a session from `get_session` / `get_db` instead.
"""
import os
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

DATABASE_URL = os.environ.get("INVENTORY_DB", "sqlite://")


def _engine_options(url: str) -> dict:
    # An in-memory SQLite database lives in one connection: share it.
    if url in ("sqlite://", "sqlite:///:memory:"):
        return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    return {"pool_pre_ping": True}


engine = create_engine(DATABASE_URL, **_engine_options(DATABASE_URL))
SessionLocal = sessionmaker(bind=engine)

# The async side needs a driver (aiosqlite, asyncpg) that is not always installed,
# so the factory starts unbound and configure_async() binds it at startup.
async_session_factory = async_sessionmaker(class_=AsyncSession, expire_on_commit=False)
async_engine = None


def configure_async(url: str):
    """Create the async engine and bind the async factory to it."""
    global async_engine
    async_engine = create_async_engine(url)
    async_session_factory.configure(bind=async_engine)
    return async_engine


@contextmanager
def get_db_session():
    """Unit of work: commits on success, rolls back on error, always closes."""
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
    """Async unit of work, same contract as get_db_session()."""
    session = async_session_factory()
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()


def get_session():
    """Route dependency: one session per request, closed afterwards; never commits."""
    session = SessionLocal()
    try:
        yield session
    finally:
        session.close()


def get_db():
    """Route dependency, context-manager flavour."""
    with SessionLocal() as db:
        yield db


def Depends(dependency):
    """Stand-in for fastapi.Depends so route signatures read the same without FastAPI."""
    return dependency
