# proves: several except clauses (re-raise domain errors, wrap the rest) are kept as they are
from casefix import Item, NotFound, get_session, logger


def find_item(item_id: int) -> dict:
    session = next(get_session())
    try:
        item = session.get(Item, item_id)
        if item is None:
            raise NotFound(f"item {item_id}")
        return {"id": item.id, "name": item.name, "qty": item.qty}
    except NotFound as e:
        raise e
    except ValueError as ve:
        raise ve
    except Exception as e:
        logger.error(f"Unexpected error: {str(e)}")
        raise ValueError(f"Failed to find item: {str(e)}")
    finally:
        session.close()
