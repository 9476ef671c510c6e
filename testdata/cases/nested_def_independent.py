# proves: a nested def inside the try body that never touches the session does not block the rewrite and is re-indented whole
from casefix import Item, SessionLocal


def add_clean(name: str, qty: int) -> str:
    session = SessionLocal()
    try:
        def clean(raw: str) -> str:
            return " ".join(raw.split()).lower()

        item = Item(name=clean(name), qty=qty)
        session.add(item)
        session.commit()
        return item.name
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
