from sqlalchemy import delete, select

from recorder.core import HomeAssistant, State


class Purger:
    def __init__(self, hass: HomeAssistant | None = None) -> None:
        self.hass = hass or HomeAssistant()

    def purge_state(self, state_id: int) -> None:
        session = self.hass.recorder.get_session()
        try:
            session.execute(delete(State).where(State.id == state_id))
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def purge_named(self, name: str) -> int:
        session = self.hass.recorder.get_session()
        try:
            states = list(session.scalars(select(State).where(State.name == name)))
            for state in states:
                session.delete(state)
            session.commit()
            return len(states)
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
