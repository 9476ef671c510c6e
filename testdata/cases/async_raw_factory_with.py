# proves: `async with AsyncSessionLocal() as s:` in a tree with an async guard is raw-factory-with
from casefix import AsyncSessionLocal, Item


async def add_item(name: str, qty: int) -> None:
    async with AsyncSessionLocal() as s:
        s.add(Item(name=name, qty=qty))
        await s.commit()
