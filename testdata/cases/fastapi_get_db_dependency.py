# proves: a FastAPI-style generator dependency (create, try: yield, finally: close) is not a finding
from casefix import Item, SessionLocal, select


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_db_with():
    with SessionLocal() as db:
        yield db


def count_items() -> int:
    gen = get_db()
    db = next(gen)
    try:
        return len(db.scalars(select(Item)).all())
    finally:
        gen.close()
