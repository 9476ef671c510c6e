from .db import SessionLocal, Ticket


def close_ticket(ticket_id: int) -> None:
    session = SessionLocal()
    try:
        ticket = session.get(Ticket, ticket_id)
        if ticket is not None:
            ticket.status = "closed"
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
