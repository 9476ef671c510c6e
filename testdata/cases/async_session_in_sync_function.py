# proves: an async session created in a plain def cannot get `async with`; report it, do not rewrite
import asyncio

from casefix import AsyncSessionLocal, Item, select


async def _count(session) -> int:
    return len((await session.scalars(select(Item))).all())


def count_items_blocking() -> int:
    session = AsyncSessionLocal()
    try:
        return asyncio.run(_count(session))
    finally:
        asyncio.run(session.close())
