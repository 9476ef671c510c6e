# proves: a block on its own local sessionmaker (another engine) keeps that factory through SQLAlchemy's `begin()` instead of the codebase guard, which makes sessions elsewhere
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from casefix import logger


def ping(url: str) -> bool:
    check = sessionmaker(bind=create_engine(url))
    session = check()
    try:
        session.execute(text("select 1"))
        ok = True
    except Exception as err:
        logger.error(err)
        ok = False
    session.close()
    return ok
