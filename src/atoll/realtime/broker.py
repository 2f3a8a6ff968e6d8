"""The broker announces committed events to every listener: in-process, or Redis pub/sub across
processes and machines. Delivery is best-effort; the event log in the database is the truth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

CHANNEL = "atoll:events"


class Broker(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, message: str) -> None: ...
    def listen(self) -> AsyncIterator[str]: ...


class InProcessBroker:
    """Fan-out to the queues of this process's listeners."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: set[asyncio.Queue[str]] = set()
        self._queue_size = queue_size

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._queues.clear()

    async def publish(self, message: str) -> None:
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                # A listener this far behind will catch up from the event log.
                queue.put_nowait(message)

    async def listen(self) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)


class RedisBroker:
    """Redis pub/sub: one subscription per process, fanned out locally."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, decode_responses=True)
        self._local = InProcessBroker()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        await self._redis.ping()
        self._task = asyncio.create_task(self._pump(), name="atoll-redis-broker")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _pump(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                self._ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        await self._local.publish(item["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect after Redis hiccups; the log is the truth
                await asyncio.sleep(1)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._local.stop()
        await self._redis.aclose()

    async def publish(self, message: str) -> None:
        await self._redis.publish(CHANNEL, message)

    def listen(self) -> AsyncIterator[str]:
        return self._local.listen()


def make_broker(redis_url: str) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
