# The factory and models of a project whose setup.py allows SQLAlchemy 1.2.9 to 1.3.
from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

engine = create_engine("sqlite://", poolclass=StaticPool)
Session = sessionmaker(bind=engine)
Base = declarative_base()


class Page(Base):
    __tablename__ = "pages"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), unique=True)


Base.metadata.create_all(engine)
