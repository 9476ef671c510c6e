from app.db import Note
from tests.conftest import testing_session
from tests.helpers import readonly_session, rollback_session, seeded_session


def test_note_round_trip(db):
    with testing_session() as session:
        session.add(Note(name="first", body="hello"))
    with readonly_session() as session:
        assert session.query(Note).count() == 1


def test_rollback_session_discards(db):
    with rollback_session() as session:
        session.add(Note(name="gone"))
    with readonly_session() as session:
        assert session.query(Note).count() == 0


def test_seeded(db):
    with seeded_session(Note(name="a"), Note(name="b")) as session:
        assert session.query(Note).count() == 2
