# proves: the patterns appearing only in strings, comments and docstrings produce no finding
"""How not to do it:

    session = SessionLocal()
    try:
        session.commit()
    finally:
        session.close()
"""
from casefix import Item, get_db_session

# Old style, kept for reference: session = SessionLocal(); session.commit(); session.close()
ANTI_PATTERN = "session = SessionLocal()\ntry:\n    session.commit()\nfinally:\n    session.close()\n"
SNIPPET = """
with SessionLocal() as db:
    db.commit()
"""


def describe(name: str) -> str:
    """Return a hint. Example of what NOT to write: `db = SessionLocal()` then `db.commit()`."""
    hint = f"use get_db_session() instead of session = SessionLocal() for {name}"
    return hint + "\n" + ANTI_PATTERN + SNIPPET


def add_item(name: str, qty: int) -> None:
    with get_db_session() as session:
        # never call session.commit() here: the guard commits
        session.add(Item(name=name, qty=qty))
