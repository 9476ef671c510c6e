# proves: a triple-quoted string in the try body whose continuation lines start at column 0 must not be re-indented
from casefix import Item, SessionLocal, text


def add_with_note(name: str, qty: int) -> str:
    session = SessionLocal()
    try:
        note = """added by the importer
line two sits at column zero
    line three is indented four
"""
        session.add(Item(name=name, qty=qty))
        session.flush()
        count = session.execute(text("""
SELECT count(*)
FROM items
""")).scalar_one()
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return f"{note}{count}"
