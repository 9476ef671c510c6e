from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

engine = create_engine("sqlite://")


def make_factory():
    return sessionmaker(bind=engine)


_factory = make_factory()
Registry = scoped_session(sessionmaker(bind=engine))
