# proves: an async session created by hand and never closed is async-without-context-manager
from casefix import AsyncSessionLocal, Item, NotFound


async def set_qty(item_id: int, qty: int) -> None:
    session = AsyncSessionLocal()
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(item_id)
    item.qty = qty
    await session.commit()
