# proves: `session = next(get_session())` on a generator dependency counts as a factory call
from casefix import Item, NotFound, get_session, logger


def rename_item(item_id: int, new_name: str) -> str:
    session = next(get_session())
    try:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(item_id)
        item.name = new_name
        session.commit()
        return item.name
    except NotFound:
        raise
    except Exception as e:
        session.rollback()
        logger.error(f"rename failed: {e}")
        raise
    finally:
        session.close()
