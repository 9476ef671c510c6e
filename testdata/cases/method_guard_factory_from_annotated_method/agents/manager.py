from sqlalchemy import select

from agents.db import Agent, db_registry


class AgentManager:
    def create(self, name: str) -> int:
        # The guard only closes: committing here is how this codebase writes.
        with db_registry.session() as session:
            agent = Agent(name=name)
            session.add(agent)
            session.commit()
            return agent.id

    def names(self) -> list[str]:
        with db_registry.session() as session:
            return list(session.scalars(select(Agent.name)))
