# proves: `await session.rollback()` in a handler that swallows the error inside the async guard is needed, so it is neither reported nor removed
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
