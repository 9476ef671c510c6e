from contextlib import contextmanager

from sqlalchemy import select

from app.database import Account, db_manager


class Ledger:
    """Moves money between accounts; one session per operation."""

    def __init__(self) -> None:
        self.factory = db_manager.SessionLocal

    @contextmanager
    def get_session(self):
        session = self.factory()
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def transfer(self, src_id: int, dst_id: int, amount: int) -> bool:
        with self.get_session() as session:
            src = session.get(Account, src_id)
            dst = session.get(Account, dst_id)
            if src is None or dst is None or src.balance < amount:
                return False
            src.balance -= amount
            dst.balance += amount
            session.commit()
        return True

    def balance_of(self, name: str) -> int | None:
        with self.get_session() as session:
            return session.scalar(select(Account.balance).where(Account.name == name))
