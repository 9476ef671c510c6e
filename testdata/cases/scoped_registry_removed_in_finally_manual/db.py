# proves: a scoped_session registry over a sessionmaker (no guard of the project's own)
from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

engine = create_engine("sqlite://")
sessmaker = sessionmaker(bind=engine)
Registry = scoped_session(sessmaker)
