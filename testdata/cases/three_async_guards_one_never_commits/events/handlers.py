from sqlalchemy import select

from events.database import Event, get_background_session, get_fixed_session, get_session


async def add_event(name: str) -> None:
    async with get_session() as session:
        session.add(Event(name=name))
        await session.commit()


async def event_names() -> list[str]:
    async with get_session() as session:
        return list(await session.scalars(select(Event.name).order_by(Event.name)))


async def mark_processed(event_id: int) -> None:
    async with get_background_session() as session:
        event = await session.get(Event, event_id)
        if event is not None:
            event.processed = True
        await session.commit()


async def archive_event(event_id: int) -> bool:
    async with get_fixed_session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return False
        event.archived = True
        await session.commit()
        return True


async def rename_event(event_id: int, name: str) -> None:
    async with get_fixed_session() as session:
        event = await session.get(Event, event_id)
        if event is not None:
            event.name = name
            await session.commit()
