# proves: two sessions sharing one try/finally cannot become one guard block; report, do not rewrite
from casefix import Item, NotFound, SessionLocal, select


def transfer(src_name: str, dst_name: str, qty: int) -> None:
    reader = SessionLocal()
    writer = SessionLocal()
    try:
        src = reader.scalar(select(Item).where(Item.name == src_name))
        dst = writer.scalar(select(Item).where(Item.name == dst_name))
        if src is None or dst is None:
            raise NotFound(f"{src_name} or {dst_name}")
        dst.qty += min(qty, src.qty)
        writer.commit()
    except Exception:
        writer.rollback()
        raise
    finally:
        reader.close()
        writer.close()
