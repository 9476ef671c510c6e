# proves: a session handed to a repository stored on self lives as long as the service object (report only)
from casefix import Item, SessionLocal, select


class ItemRepo:
    def __init__(self, session) -> None:
        self.session = session

    def by_name(self, name: str):
        return self.session.scalar(select(Item).where(Item.name == name))


class ItemService:
    def __init__(self) -> None:
        session = SessionLocal()
        self.repo = ItemRepo(session)

    def qty_of(self, name: str) -> int:
        item = self.repo.by_name(name)
        return 0 if item is None else item.qty
