"""argon2 runs off the event loop, in a bounded pool, at the cost it is given."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from atoll.kit.settings import Settings
from atoll.people.passwords import Hashing
from tests.factories import PASSWORD

T = TypeVar("T")
# argon2 at its real cost (the ATOLL_ARGON2_* defaults), one hash at a time.
DEFAULTS = Settings.model_fields
DEFAULT_COST = Hashing(
    time_cost=DEFAULTS["argon2_time_cost"].default,
    memory_kib=DEFAULTS["argon2_memory_kib"].default,
    threads=1,
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


async def test_hashing_and_verifying_leave_the_event_loop_running() -> None:
    hashing = DEFAULT_COST
    hashed, while_hashing = await _ticks_during(hashing.hash(PASSWORD))
    ok, while_verifying = await _ticks_during(hashing.verify(hashed, PASSWORD))
    wrong, while_failing = await _ticks_during(hashing.verify(hashed, "not it at all"))
    unknown, while_unknown = await _ticks_during(hashing.verify(None, PASSWORD))
    assert ok and not wrong and not unknown
    # A hash at the default cost (64 MiB, 3 passes) takes a good tenth of a second; the loop
    # goes round many times meanwhile. On the loop, it would not go round at all.
    assert min(while_hashing, while_verifying, while_failing, while_unknown) > 10


def _hashing_threads(size: int) -> int:
    """The threads of the process's pool of ``size`` hashing threads."""
    return sum(1 for t in threading.enumerate() if t.name.startswith(f"atoll-argon2-{size}_"))


async def test_hashes_wait_for_the_pool_rather_than_take_every_core() -> None:
    hashes = await asyncio.gather(*(DEFAULT_COST.hash(PASSWORD) for _ in range(4)))
    assert all(await asyncio.gather(*(DEFAULT_COST.verify(h, PASSWORD) for h in hashes)))
    assert _hashing_threads(1) == 1  # ATOLL_ARGON2_THREADS=1: one at a time


async def test_each_hash_is_made_at_the_cost_it_is_given_and_checked_at_it() -> None:
    cheap, dearer = Hashing(time_cost=1, memory_kib=1024), Hashing(time_cost=2, memory_kib=2048)
    made_cheap, made_dearer = await asyncio.gather(cheap.hash(PASSWORD), dearer.hash(PASSWORD))
    assert "$m=1024,t=1," in made_cheap and "$m=2048,t=2," in made_dearer
    assert await cheap.verify(made_dearer, PASSWORD) and await dearer.verify(made_cheap, PASSWORD)
    assert dearer.needs_rehash(made_cheap) and not dearer.needs_rehash(made_dearer)
    assert Hashing.of(Settings(argon2_time_cost=2, argon2_memory_kib=2048)) == dearer


async def test_a_new_password_is_checked_before_it_is_hashed() -> None:
    with pytest.raises(Exception, match="at least 8 characters"):
        await DEFAULT_COST.hash("short")
