# proves: in a tab-indented file, a rewrite that keeps the handler re-indents the body with tabs, never spaces
from casefix import Item, SessionLocal, logger


def add_item(name: str, qty: int) -> int:
	session = SessionLocal()
	try:
		item = Item(name=name, qty=qty)
		session.add(item)
		session.flush()
		item_id = item.id
		session.commit()
		return item_id
	except Exception:
		session.rollback()
		logger.exception("add_item failed")
		raise
	finally:
		session.close()
