# proves: a commit followed by a call that opens its own session (through a method of a module-level instance, or a parameter of unknown type) stays: the guard would commit only after that call, which would then wait on this transaction's lock or miss its work
from config_manager import manager
from db import Gauge, SessionLocal


def add_setting(name: str) -> None:
    session = SessionLocal()
    try:
        session.add(Gauge(name=name))
        session.commit()
        manager.config_changed()
    finally:
        session.close()


def add_setting_via(mgr, name: str) -> None:
    session = SessionLocal()
    try:
        session.add(Gauge(name=name))
        session.commit()
        mgr.config_changed()
    finally:
        session.close()
