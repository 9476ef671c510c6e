from billing.db import SessionLocal


def mark_paid(invoice_id):
    session = SessionLocal()
    try:
        session.execute("UPDATE invoices SET paid = 1 WHERE id = :id", {"id": invoice_id})
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
