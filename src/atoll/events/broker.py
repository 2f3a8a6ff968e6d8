"""The broker announces committed events to every listener: in-process, or Redis pub/sub across
processes and machines. Delivery is best-effort; the event log in the database is the truth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("atoll.realtime")
CHANNEL = "atoll:events"
# Announced to this process's listeners when the subscription (re)starts: events may have
# been made meanwhile that nobody announced here, so the hub reads the log.
RECONNECTED = "0"


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
    """Redis pub/sub: one subscription per process, fanned out locally.

    Redis is a convenience, not the truth: when it cannot be reached — at start or later — the
    server serves on, logs one warning, announces its own events to its own streams, and every
    stream still gets every event from the log (the hub reads it at least every few seconds).
    The subscription is tried again in the background until Redis answers."""

    def __init__(self, url: str, *, retry_seconds: float = 1.0) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(
            url, decode_responses=True, socket_connect_timeout=3, socket_keepalive=True
        )
        self._where = _without_password(url)
        self._retry = retry_seconds
        self._local = InProcessBroker()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.connected = False  # subscribed, as far as this process knows

    async def start(self) -> None:
        self._task = asyncio.create_task(self._pump(), name="atoll-redis-broker")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)
        if not self.connected:
            log.warning(
                "Redis at %s cannot be reached: serving without it. Events reach the streams "
                "of other servers by polling the event log (within seconds) until it answers; "
                "it is tried again in the background.",
                self._where,
            )

    async def _pump(self) -> None:
        lost = False  # logged as lost (at start, start() says so)
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                self.connected = True
                if lost:
                    log.warning("Redis at %s answers again: events go through it", self._where)
                    lost = False
                await self._local.publish(RECONNECTED)
                self._ready.set()
                async for item in pubsub.listen():
                    if item.get("type") == "message":
                        await self._local.publish(item["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - try again; the log is the truth meanwhile
                if self.connected:
                    log.warning(
                        "lost Redis at %s (%s): events reach other servers by polling the "
                        "event log until it answers again",
                        self._where,
                        error,
                    )
                    lost = True
                elif not self._ready.is_set():  # the first try failed: start() warns
                    lost = True
                    self._ready.set()
                self.connected = False
                await asyncio.sleep(self._retry)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._local.stop()
        await self._redis.aclose()

    async def publish(self, message: str) -> None:
        if self.connected:
            try:
                await self._redis.publish(CHANNEL, message)
                return
            except Exception:  # noqa: BLE001 - the pump notices and reconnects; see below
                log.debug("could not publish on Redis", exc_info=True)
        # Without Redis this process's own streams still hear of it at once.
        await self._local.publish(message)

    def listen(self) -> AsyncIterator[str]:
        return self._local.listen()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def make_broker(redis_url: str) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
