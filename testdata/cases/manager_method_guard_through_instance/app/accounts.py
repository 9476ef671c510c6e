from sqlalchemy import select

from app.database import Account, db_manager


def open_account(name: str) -> int:
    with db_manager.session_scope() as session:
        account = Account(name=name, balance=0)
        session.add(account)
        session.flush()
        return account.id


def deposit(account_id: int, amount: int) -> None:
    with db_manager.session_scope() as session:
        account = session.get(Account, account_id)
        if account is not None:
            account.balance += amount
        session.commit()


def account_names() -> list[str]:
    with db_manager.session_scope() as session:
        return list(session.scalars(select(Account.name).order_by(Account.name)))


def close_account(account_id: int) -> None:
    session = db_manager.SessionLocal()
    try:
        account = session.get(Account, account_id)
        if account is not None:
            session.delete(account)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
