"""Sessions are context managers that commit: `with Session() as session:`."""
from sqlalchemy import Integer, String, create_engine, orm
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(200), default="")


class ContextSession(orm.Session):
    """A session whose `with` block is a transaction: commit on success, rollback on
    error, close either way."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()


engine = create_engine("sqlite://")
Session = orm.sessionmaker(bind=engine, class_=ContextSession, expire_on_commit=False)
Base.metadata.create_all(engine)
