# proves: a CRLF file that gains a new import line and keeps a handler stays CRLF everywhere, new lines included
"""Items, the CRLF way."""
import casefix


def add_item(name: str, qty: int) -> None:
    session = casefix.SessionLocal()
    try:
        session.add(casefix.Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        casefix.logger.exception("add_item failed")
        raise
    finally:
        session.close()
