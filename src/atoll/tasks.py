"""Housekeeping that runs in every server process: close situation rooms whose time is up.

Each job is idempotent, so several processes may run it side by side."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from atoll.spaces.service import do_close_due_situation_rooms

log = logging.getLogger("atoll.tasks")
INTERVAL_SECONDS = 60


async def run_once(maker: async_sessionmaker[AsyncSession]) -> None:
    async with maker() as session:
        closed = await do_close_due_situation_rooms(session)
        await session.commit()
    if closed:
        log.info("archived %d situation room(s) whose time was up", closed)


async def housekeeping(maker: async_sessionmaker[AsyncSession], interval: float = INTERVAL_SECONDS) -> None:
    while True:
        try:
            await run_once(maker)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            log.exception("housekeeping failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(maker: async_sessionmaker[AsyncSession], interval: float):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(housekeeping(maker, interval), name="atoll-housekeeping")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
