# proves: `await session.rollback()` in a try/except inside the async guard is reported like the sync one
from casefix import IntegrityError, Item, get_async_session, logger


async def add_or_skip(name: str, qty: int) -> bool:
    async with get_async_session() as session:
        try:
            session.add(Item(name=name, qty=qty))
            await session.flush()
        except IntegrityError:
            await session.rollback()  # undo the failed insert
            logger.info("duplicate %s", name)
            return False
        return True
