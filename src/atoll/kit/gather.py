"""Many lookups answered by one query: ``Gather``.

A lookup by key that many tasks make at about the same time — the sign-in of each event stream
at its heartbeat, the memberships of each person whose stream an event wakes — costs a session
and a statement each when made one by one. ``Gather`` holds the keys asked for within
``window`` seconds of the first (0: those asked for in the same pass of the event loop, such
as the streams one event woke) and answers them with one call of ``fetch``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Gather(Generic[K, V]):
    """``await get(key)``: the value ``fetch`` gives for ``key`` (None when it gives none),
    fetched together with the other keys asked for meanwhile — at most ``most`` keys per call
    of ``fetch``. An error of ``fetch`` reaches every caller of that call."""

    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        window: float = 0.0,
        most: int = 500,
        name: str = "atoll-gather",
    ) -> None:
        self._fetch = fetch
        self._window = window
        self._most = most
        self._name = name
        self._pending: dict[K, list[asyncio.Future[V | None]]] = {}
        self._flushing: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, []).append(future)
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_soon(), name=self._name)
        return await future

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(self._window)
        finally:
            self._flushing = None
        while self._pending:
            batch = dict(list(self._pending.items())[: self._most])
            for key in batch:
                del self._pending[key]
            try:
                found = await self._fetch(list(batch))
            except Exception as error:  # noqa: BLE001 - each waiting caller gets it
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(error)
                continue
            for key, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(key))
