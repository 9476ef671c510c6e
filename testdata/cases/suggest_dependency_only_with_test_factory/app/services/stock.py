from app.database import get_session
from app.models import StockItem


def adjust_stock(sku, delta):
    session = next(get_session())
    try:
        item = session.query(StockItem).filter_by(sku=sku).one()
        item.quantity += delta
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
