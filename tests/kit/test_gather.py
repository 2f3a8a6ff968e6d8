"""``Gather``: lookups made together are answered by one fetch, each with its own answer."""

from __future__ import annotations

import asyncio

import pytest

from atoll.kit.gather import Gather


async def test_lookups_made_together_share_one_fetch_and_get_their_own_answers() -> None:
    calls: list[list[int]] = []

    async def fetch(keys: list[int]) -> dict[int, str]:
        calls.append(keys)
        return {k: f"v{k}" for k in keys if k != 3}

    gather: Gather[int, str] = Gather(fetch, most=2)
    got = await asyncio.gather(*(gather.get(k) for k in (1, 2, 1, 3)))
    assert got == ["v1", "v2", "v1", None]  # 3 was not found; 1 was asked twice, fetched once
    assert calls == [[1, 2], [3]]  # at most two keys per fetch
    assert await gather.get(4) == "v4"  # a later lookup gets a fetch of its own
    assert calls[-1] == [4]


async def test_an_error_of_the_fetch_reaches_every_caller_of_that_batch() -> None:
    async def fetch(keys: list[int]) -> dict[int, int]:
        raise RuntimeError("database went away")

    gather: Gather[int, int] = Gather(fetch)
    results = await asyncio.gather(gather.get(1), gather.get(2), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    with pytest.raises(RuntimeError):
        await gather.get(3)  # and the next batch is tried afresh
