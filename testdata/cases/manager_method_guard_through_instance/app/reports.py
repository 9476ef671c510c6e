from sqlalchemy import func, select

from app.database import Account, SessionLocal


def total_balance() -> int:
    session = SessionLocal()
    try:
        return session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
    finally:
        session.close()


def reset_balances(amount: int) -> None:
    session = SessionLocal()
    try:
        for account in session.scalars(select(Account)):
            account.balance = amount
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
