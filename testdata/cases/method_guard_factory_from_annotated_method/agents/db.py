from contextlib import contextmanager

from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from agents.tracing import trace_method


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class DatabaseRegistry:
    """Session factories by name, made on first use."""

    def __init__(self) -> None:
        self._session_factories = {}

    def _initialize(self) -> None:
        if not self._session_factories:
            engine = create_engine("sqlite://")
            Base.metadata.create_all(engine)
            self._session_factories["default"] = sessionmaker(bind=engine)

    def get_session_factory(self, name: str = "default") -> sessionmaker:
        self._initialize()
        return self._session_factories.get(name)

    @trace_method
    @contextmanager
    def session(self, name: str = "default"):
        session_factory = self.get_session_factory(name)
        if not session_factory:
            raise ValueError(f"no session factory named {name!r}")
        session = session_factory()
        try:
            yield session
        finally:
            session.close()


db_registry = DatabaseRegistry()
