# proves: a file indented with real tab characters keeps tabs after the rewrite
from casefix import Item, SessionLocal


def add_item(name: str, qty: int) -> None:
	session = SessionLocal()
	try:
		session.add(Item(name=name, qty=qty))
		session.commit()
	except Exception:
		session.rollback()
		raise
	finally:
		session.close()
