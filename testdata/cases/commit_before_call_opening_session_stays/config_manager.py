# proves: a method that opens a session of its own, reached through a module-level instance
from db import Gauge, SessionLocal


class ConfigManager:
    def config_changed(self) -> None:
        session = SessionLocal()
        try:
            session.query(Gauge).filter(Gauge.name.like("tmp-%")).delete()
            session.commit()
        finally:
            session.close()


manager = ConfigManager()
