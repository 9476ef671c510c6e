from app.database import get_session
from app.models import Supplier


def create_supplier(name):
    session = next(get_session())
    try:
        session.add(Supplier(name=name))
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def update_supplier_config(supplier_id, config):
    session = next(get_session())
    try:
        supplier = session.get(Supplier, supplier_id)
        supplier.config = config
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
