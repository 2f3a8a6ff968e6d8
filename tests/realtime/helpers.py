"""Helpers for real-time tests: watch what the broker announces."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from atoll.events.broker import Broker


@contextlib.asynccontextmanager
async def announcements(broker: Broker) -> AsyncIterator[list[str]]:
    """Collect every message the broker announces while the block runs."""
    heard: list[str] = []

    async def listen() -> None:
        async for message in broker.listen():
            heard.append(message)

    task = asyncio.create_task(listen())
    await asyncio.sleep(0)  # let the listener subscribe before anything is published
    try:
        yield heard
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def settle(seconds: float = 0.2) -> None:
    """Give scheduled announcements time to go out (for checks that nothing came)."""
    await asyncio.sleep(seconds)


async def until(predicate, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until ``predicate()`` is true; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)
