# proves: the guard import goes after the module docstring and `from __future__ import annotations`, never above them
"""Items, added the old way.

The import the codemod adds must land below this docstring and below the
__future__ import (here there is no `from casefix import` line to join).
"""
from __future__ import annotations

import casefix


def add_item(name: str, qty: int) -> casefix.Item | None:
    session = casefix.SessionLocal()
    try:
        session.add(casefix.Item(name=name, qty=qty))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
    return None
