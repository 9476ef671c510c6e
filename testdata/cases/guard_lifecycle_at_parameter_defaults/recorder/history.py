from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from recorder.core import HomeAssistant, State
from recorder.util import session_scope


def _duplicate(err: Exception) -> bool:
    return isinstance(err, IntegrityError)


class History:
    def __init__(self, hass: HomeAssistant | None = None) -> None:
        self.hass = hass or HomeAssistant()

    def record(self, name: str, value: str) -> None:
        with session_scope(hass=self.hass) as session:
            session.add(State(name=name, value=value))

    def overwrite(self, state_id: int, value: str) -> None:
        with session_scope(hass=self.hass) as session:
            state = session.get(State, state_id)
            if state is not None:
                state.value = value
            session.commit()

    def last_value(self, name: str) -> str | None:
        with session_scope(hass=self.hass) as session:
            return session.scalar(select(State.value).where(State.name == name))

    def touch(self, name: str) -> None:
        # read_only: the guard commits nothing, so this commit is the only one.
        with session_scope(hass=self.hass, read_only=True) as session:
            state = session.scalar(select(State).where(State.name == name))
            if state is not None:
                state.value = state.value or "seen"
            session.commit()

    def record_once(self, name: str) -> None:
        # The filter swallows duplicates: what the guard does then is the caller's choice.
        with session_scope(
            session=self.hass.recorder.get_session(), exception_filter=_duplicate
        ) as session:
            session.add(State(name=name))
            session.commit()
