# proves: two commits in one manual block (a checkpoint, then more work) cannot collapse into one guard commit
from casefix import Item, NotFound, SessionLocal


def move_stock(src_id: int, dst_id: int, qty: int) -> None:
    session = SessionLocal()
    try:
        src = session.get(Item, src_id)
        if src is None:
            raise NotFound(src_id)
        src.qty -= qty
        session.commit()  # checkpoint: the debit stays even if the credit fails
        dst = session.get(Item, dst_id)
        if dst is None:
            raise NotFound(dst_id)
        dst.qty += qty
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
