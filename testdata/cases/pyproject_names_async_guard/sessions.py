# proves: guards and factories named by config rather than discovered by shape
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

_engine = create_engine("sqlite://", poolclass=StaticPool)
_factory = sessionmaker(bind=_engine)
_async_factory = async_sessionmaker(class_=AsyncSession)


def make_session():
    return _factory()


def make_async_session():
    return _async_factory()


@contextmanager
def get_db_session():
    session = make_session()
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
    session = make_async_session()
    try:
        yield session
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()
