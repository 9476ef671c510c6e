from .async_session import AsyncSessionLocal
from .db import Ticket


async def reopen_ticket(ticket_id: int) -> None:
    session = AsyncSessionLocal()
    try:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is not None:
            ticket.status = "open"
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()
