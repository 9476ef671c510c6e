# proves: `sqlalchemy-version = "1.3"` in codemod.toml overrides requirements.txt (>=2.0): `SessionLocal.begin()` is not written and the block stays manual, naming the config key
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine)


def order_count(table):
    session = SessionLocal()
    try:
        return session.execute(f"SELECT count(*) FROM {table}").scalar()
    finally:
        session.close()
