from sqlalchemy import select

from recorder.core import HomeAssistant, State
from recorder.util import session_scope


class History:
    def __init__(self, hass: HomeAssistant | None = None) -> None:
        self.hass = hass or HomeAssistant()

    def record(self, name: str, value: str) -> None:
        with session_scope(hass=self.hass) as session:
            session.add(State(name=name, value=value))

    def last_value(self, name: str) -> str | None:
        with session_scope(hass=self.hass) as session:
            return session.scalar(select(State.value).where(State.name == name))

    def overwrite(self, state_id: int, value: str) -> None:
        with session_scope(hass=self.hass) as session:
            state = session.get(State, state_id)
            if state is not None:
                state.value = value
            session.commit()
