# proves: a try/except that wraps errors but never closes is a leaked session
from casefix import Item, get_session, select


def all_names() -> list[str]:
    session = next(get_session())
    try:
        return [item.name for item in session.scalars(select(Item).order_by(Item.name))]
    except Exception as e:
        raise ValueError(f"Failed to retrieve all items: {str(e)}")
