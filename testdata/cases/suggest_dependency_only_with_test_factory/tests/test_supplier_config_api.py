from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.models import Base, Supplier

engine = create_engine("sqlite://")
TestingSessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


def override_get_session():
    session = TestingSessionLocal()
    try:
        yield session
    finally:
        session.close()


# The in-memory test database gets its tables when the module is imported.
Base.metadata.create_all(bind=engine)


def test_create_supplier():
    session = TestingSessionLocal()
    session.add(Supplier(name="acme"))
    session.commit()
    assert TestingSessionLocal().query(Supplier).count() == 1
    session.close()


def test_update_config():
    session = TestingSessionLocal()
    supplier = session.query(Supplier).first()
    supplier.config = "{}"
    session.commit()
    session.close()


def test_read_config():
    session = TestingSessionLocal()
    assert session.query(Supplier).first() is not None
    session.close()


def test_count():
    with TestingSessionLocal() as session:
        assert session.query(Supplier).count() >= 0
