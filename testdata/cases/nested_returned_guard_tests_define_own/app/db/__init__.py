from .models import Base, Note
from .session import SessionLocal, engine, get_db_session

__all__ = ["Base", "Note", "SessionLocal", "engine", "get_db_session"]
