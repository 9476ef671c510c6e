from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker


class Base(DeclarativeBase):
    pass


class State(Base):
    __tablename__ = "states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[str] = mapped_column(String(80), default="")


class Recorder:
    """Owns the database; sessions come from `get_session()` once it is connected."""

    def __init__(self, url: str = "sqlite://") -> None:
        self.url = url
        self._get_session = None
        self._connect()

    def _connect(self) -> None:
        self.engine = create_engine(self.url)
        Base.metadata.create_all(self.engine)
        self._get_session = scoped_session(sessionmaker(bind=self.engine, future=True))

    def get_session(self):
        """The thread's session of the recorder's registry."""
        if self._get_session is None:
            raise RuntimeError("not connected")
        return self._get_session()

    def open_event_session(self) -> None:
        # One session kept for every event written from now on.
        self.event_session = self.get_session()


class HomeAssistant:
    def __init__(self) -> None:
        self.recorder = Recorder()


def get_instance(hass: HomeAssistant) -> Recorder:
    return hass.recorder
