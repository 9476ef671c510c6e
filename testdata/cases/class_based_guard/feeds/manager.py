from sqlalchemy import select

from feeds.db import Feed, Session


def add_feed(name: str, url: str) -> None:
    with Session() as session:
        session.add(Feed(name=name, url=url))


def feed_url(name: str) -> str | None:
    with Session() as session:
        return session.scalar(select(Feed.url).where(Feed.name == name))


def move_feed(feed_id: int, url: str) -> None:
    with Session() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            feed.url = url
        session.commit()


def remove_feed(feed_id: int) -> None:
    session = Session()
    try:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            session.delete(feed)
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def rename_feed(feed_id: int, name: str) -> None:
    session = Session()
    try:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            feed.name = name
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
