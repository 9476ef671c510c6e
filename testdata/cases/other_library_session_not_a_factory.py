# proves: `requests.Session()` (another library's Session) is no database session, even when the tree binds a factory attribute named `Session`
import requests

from casefix import SessionLocal


class Store:
    def __init__(self) -> None:
        self.Session = SessionLocal


def fetch(url: str) -> int:
    http = requests.Session()
    try:
        return http.get(url).status_code
    finally:
        http.close()
