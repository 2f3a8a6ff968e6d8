"""argon2 runs off the event loop, in a bounded pool, at the configured cost."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import pytest

from atoll.config import Settings
from atoll.people import passwords
from tests.factories import PASSWORD

T = TypeVar("T")


@pytest.fixture
def default_cost(settings: Settings) -> Iterator[None]:
    """argon2 at its real cost (ATOLL_ARGON2_* defaults) for one test, then the suite's again."""
    defaults = Settings()
    passwords.configure(
        time_cost=defaults.argon2_time_cost, memory_kib=defaults.argon2_memory_kib, threads=1
    )
    try:
        yield
    finally:
        passwords.configure(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            threads=settings.argon2_threads,
        )


async def _ticks_during(work: Awaitable[T]) -> tuple[T, int]:
    """What ``work`` returns, and how many times the event loop ran another task meanwhile."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    start = ticks
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, ticks - start


@pytest.mark.usefixtures("default_cost")
async def test_hashing_and_verifying_leave_the_event_loop_running() -> None:
    hashed, while_hashing = await _ticks_during(passwords.hash_password(PASSWORD))
    ok, while_verifying = await _ticks_during(passwords.verify_password(hashed, PASSWORD))
    wrong, while_failing = await _ticks_during(passwords.verify_password(hashed, "not it at all"))
    unknown, while_unknown = await _ticks_during(passwords.verify_password(None, PASSWORD))
    assert ok and not wrong and not unknown
    # A hash at the default cost (64 MiB, 3 passes) takes a good tenth of a second; the loop
    # goes round many times meanwhile. On the loop, it would not go round at all.
    assert min(while_hashing, while_verifying, while_failing, while_unknown) > 10


def _hashing_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("atoll-argon2"))


@pytest.mark.usefixtures("default_cost")
async def test_hashes_wait_for_the_pool_rather_than_take_every_core() -> None:
    assert _hashing_threads() == 0  # made on first use
    hashes = await asyncio.gather(*(passwords.hash_password(PASSWORD) for _ in range(4)))
    assert all(await asyncio.gather(*(passwords.verify_password(h, PASSWORD) for h in hashes)))
    assert _hashing_threads() == 1  # ATOLL_ARGON2_THREADS=1: one at a time


async def test_a_new_password_is_checked_before_it_is_hashed() -> None:
    with pytest.raises(Exception, match="at least 8 characters"):
        await passwords.hash_password("short")
