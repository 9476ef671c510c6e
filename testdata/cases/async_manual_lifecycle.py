# proves: `session = AsyncSessionLocal()` in an async def with awaited commit/rollback/close is async-without-context-manager
from casefix import AsyncSessionLocal, Item, logger


async def add_item(name: str, qty: int) -> int:
    session = AsyncSessionLocal()
    try:
        item = Item(name=name, qty=qty)
        session.add(item)
        await session.commit()
        await session.refresh(item)
        return item.id
    except Exception as e:
        await session.rollback()
        logger.error(f"async add failed: {e}")
        raise
    finally:
        await session.close()
