# proves: config-named factories are recognised: a sync manual block and an async one without a context manager
from sessions import make_async_session, make_session
from sqlalchemy import text


def ping() -> int:
    session = make_session()
    try:
        value = session.execute(text("SELECT 1")).scalar_one()
        session.commit()
        return value
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


async def ping_async() -> int:
    session = make_async_session()
    try:
        value = (await session.execute(text("SELECT 1"))).scalar_one()
        await session.commit()
        return value
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()
