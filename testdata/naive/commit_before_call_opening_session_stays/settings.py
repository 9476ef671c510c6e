# What the plan refuses: the commit before a call that opens its own session moved to the
# guard's exit.
from config_manager import manager
from db import Gauge, SessionLocal


def add_setting(name: str) -> None:
    with SessionLocal.begin() as session:
        session.add(Gauge(name=name))
        manager.config_changed()


def add_setting_via(mgr, name: str) -> None:
    with SessionLocal.begin() as session:
        session.add(Gauge(name=name))
        mgr.config_changed()
