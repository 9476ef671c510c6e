# proves: an `except*` handler (Python 3.11) parses and is kept as written
from casefix import Item, SessionLocal


def add_many(names_csv: str, qty: int) -> int:
    session = SessionLocal()
    try:
        names = [n for n in names_csv.split(",") if n]
        if not names:
            raise ValueError(f"no names in {names_csv!r}")
        session.add_all([Item(name=n, qty=qty) for n in names])
        session.commit()
    except* ValueError:
        session.rollback()
        raise
    finally:
        session.close()
    return len(names)
