"""Background tasks (async). Needs configure_async() before any call."""
import asyncio
import logging

from sqlalchemy import delete, select

from app.db import async_session_factory, get_async_session
from app.errors import ResourceNotFoundError
from app.models import Task

logger = logging.getLogger(__name__)


async def create_task(name: str) -> dict:
    session = async_session_factory()
    try:
        task = Task(name=name)
        session.add(task)
        await session.commit()
        await session.refresh(task)
        logger.info(f"Created task {task.id}: {name}")
        return task.to_dict()
    except Exception as e:
        await session.rollback()
        logger.error(f"Failed to create task {name}: {e}")
        raise
    finally:
        await session.close()


async def update_progress(task_id: int, progress: int) -> None:
    session = async_session_factory()
    task = await session.get(Task, task_id)
    if task is None:
        raise ResourceNotFoundError("task", task_id)
    task.progress = progress
    task.status = "running"
    await session.commit()


async def get_task(task_id: int) -> dict:
    session = async_session_factory()
    try:
        task = await session.get(Task, task_id)
        if task is None:
            raise ResourceNotFoundError("task", task_id)
        return task.to_dict()
    except ResourceNotFoundError as e:
        raise e
    except Exception as e:
        logger.error(f"Unexpected error: {str(e)}")
        raise ValueError(f"Failed to get task: {str(e)}")
    finally:
        await session.close()


async def complete_task(task_id: int) -> None:
    async with get_async_session() as session:
        task = await session.get(Task, task_id)
        if task is None:
            raise ResourceNotFoundError("task", task_id)
        task.status = "done"
        task.progress = 100
        await session.commit()


async def fail_task(task_id: int, error: str) -> bool:
    async with get_async_session() as session:
        try:
            task = await session.get(Task, task_id)
            task.status = "failed"
            task.error = error
            await session.flush()
        except Exception as e:
            await session.rollback()  # Rollback on error
            logger.error(f"Could not mark task {task_id} failed: {e}")
            return False
        return True


async def start_task(task_id: int) -> None:
    async with get_async_session() as session:
        task = await session.get(Task, task_id)
        task.status = "running"
        await session.commit()  # Commit RUNNING status
        await asyncio.sleep(0)
        task.progress = 1


async def list_tasks(status: str | None = None) -> list[dict]:
    async with get_async_session() as session:
        query = select(Task).order_by(Task.id)
        if status is not None:
            query = query.where(Task.status == status)
        return [task.to_dict() for task in (await session.scalars(query))]


async def run_batch(task_ids: list[int]) -> int:
    done = 0
    for task_id in task_ids:
        session = async_session_factory()
        task = await session.get(Task, task_id)
        if task is not None:
            task.status = "done"
            await session.commit()
            done += 1
        await session.close()
    return done


async def purge_finished() -> None:
    async with async_session_factory() as session:
        await session.execute(delete(Task).where(Task.status.in_(["done", "failed"])))
        await session.commit()


class TaskRunner:
    """Long-lived worker holding one session for its whole life: one failed flush poisons it."""

    def __init__(self) -> None:
        self.session = async_session_factory()

    async def tick(self) -> int:
        pending = (await self.session.scalars(select(Task).where(Task.status == "pending"))).all()
        for task in pending:
            task.status = "running"
        await self.session.commit()
        return len(pending)
