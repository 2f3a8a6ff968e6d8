"""Housekeeping that runs in every server process: close situation rooms whose time is up,
prune the event log past its retention.

Each job is idempotent, so several processes may run it side by side."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atoll.kit.time import utcnow
from atoll.realtime.events import do_prune_events
from atoll.spaces.service import do_close_due_situation_rooms

log = logging.getLogger("atoll.tasks")
INTERVAL_SECONDS = 60
EVENT_RETENTION_HOURS = 72


async def run_once(
    maker: async_sessionmaker[AsyncSession], *, event_retention_hours: int = EVENT_RETENTION_HOURS
) -> None:
    async with maker() as session:
        closed = await do_close_due_situation_rooms(session)
        await session.commit()
    if closed:
        log.info("archived %d situation room(s) whose time was up", closed)
    async with maker() as session:
        older_than = utcnow() - timedelta(hours=event_retention_hours)
        await do_prune_events(session, older_than=older_than)
        await session.commit()


async def housekeeping(
    maker: async_sessionmaker[AsyncSession],
    interval: float = INTERVAL_SECONDS,
    *,
    event_retention_hours: int = EVENT_RETENTION_HOURS,
) -> None:
    while True:
        try:
            await run_once(maker, event_retention_hours=event_retention_hours)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("housekeeping failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(  # type: ignore[no-untyped-def]
    maker: async_sessionmaker[AsyncSession],
    interval: float,
    *,
    event_retention_hours: int = EVENT_RETENTION_HOURS,
):
    task = asyncio.create_task(
        housekeeping(maker, interval, event_retention_hours=event_retention_hours),
        name="atoll-housekeeping",
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
