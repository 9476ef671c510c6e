"""Models, plus helpers that need a session: billing.db imports this module, so the
helpers import billing.db inside their bodies (a module-level import would be a cycle)."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    paid: Mapped[int] = mapped_column(Integer, default=0)


def mark_paid(invoice_id: int) -> None:
    from billing.db import SessionLocal

    session = SessionLocal()
    try:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None:
            invoice.paid = 1
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def void_invoice(invoice_id: int) -> None:
    from billing.db import SessionLocal, engine

    assert engine is not None
    session = SessionLocal()
    try:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None:
            session.delete(invoice)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
