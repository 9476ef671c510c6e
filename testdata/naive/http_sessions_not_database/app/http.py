# What the plan refuses: the HTTP sessions of `get_db_session()` taken for database sessions
# and rewritten into the project's guard (the case's other functions are left out here).
import requests

from app.db import session_scope


def get_db_session():
    return requests.Session()


def fetch_json(url):
    with session_scope() as s:
        return s.get(url).json()


def fetch_status(url):
    with session_scope() as s:
        r = s.get(url)
    return r.status_code
