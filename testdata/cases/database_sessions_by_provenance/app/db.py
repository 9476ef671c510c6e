from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker

engine = create_engine("sqlite://")


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "provenance_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


Base.metadata.create_all(engine)


def make_factory():
    return sessionmaker(bind=engine)


_factory = make_factory()
Registry = scoped_session(sessionmaker(bind=engine))
