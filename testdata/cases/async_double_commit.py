# proves: `await session.commit()` inside `async with get_async_session()` is a double transaction
from casefix import Item, get_async_session


async def add_item(name: str, qty: int) -> None:
    async with get_async_session() as session:
        session.add(Item(name=name, qty=qty))
        await session.commit()
