from sqlalchemy import Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class State(Base):
    __tablename__ = "states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[str] = mapped_column(String(80), default="")


class Recorder:
    """Owns the database; `get_session` makes the sessions."""

    def __init__(self, url: str = "sqlite://") -> None:
        self.engine = create_engine(url)
        Base.metadata.create_all(self.engine)
        self.get_session = sessionmaker(bind=self.engine, expire_on_commit=False)


class HomeAssistant:
    def __init__(self) -> None:
        self.recorder = Recorder()


def get_instance(hass: HomeAssistant) -> Recorder:
    return hass.recorder
