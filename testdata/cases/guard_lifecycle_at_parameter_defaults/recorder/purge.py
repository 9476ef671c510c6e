from sqlalchemy import delete

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
