"""The hub: one reader of the event log per server process, shared by all its streams.

Why
---
A stream used to run its own visibility-filtered query each time an event was announced, so
one event cost one query per open stream. The hub listens to the broker once for the process;
when an event id is announced (or at worst every ``POLL_SECONDS``, or soon after a heartbeat's
nudge) it reads the new events of the log once, for all the streams, into the window
(``atoll.realtime.window``) and wakes the streams. Each stream takes from the window the events
after its position and keeps those its viewer may read (``atoll.realtime.readable``).

Before it puts events in the window, the hub brings up to date what those events may change
about who reads what: the spaces they change or name for the first time are read again, and
the memberships they change are dropped (see ``atoll.realtime.readable``: that order is what
makes delivery-time visibility safe).

The hub is made with its database when the app starts. It keeps a window only while a stream
of the process listens: when the last one ends it forgets the window, and the next stream
starts one afresh from the newest event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from atoll.events.broker import Broker
from atoll.events.models import Event
from atoll.realtime.readable import (
    SPACE_CHANGED,
    Memberships,
    ReadableSpaces,
    read_memberships,
    read_spaces,
)
from atoll.realtime.window import KEEP, Window
from atoll.spaces.models import Space

log = logging.getLogger("atoll.realtime")
READ = 500  # events per read of the log at most
POLL_SECONDS = 5.0  # the hub reads the log this often even when nothing is announced
NUDGE_SECONDS = 1.0  # a heartbeat's nudge makes the hub read at most this often
_EVENT = Event.__table__
_COLUMNS = (_EVENT.c.id, _EVENT.c.type, _EVENT.c.space_id, _EVENT.c.person_id, _EVENT.c.data)


class Hub:
    """This process's one broker subscription and one reader of the event log, fanned out to
    its streams: ``window`` holds the recent events, ``spaces`` what each viewer may read."""

    def __init__(self, broker: Broker, engine: AsyncEngine, *, keep: int = KEEP) -> None:
        self._broker = broker
        self._engine = engine
        self.window = Window(keep)
        self.spaces = ReadableSpaces(self._read_memberships)
        self._wakes: set[asyncio.Event] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._due = asyncio.Event()  # something may be past the position: read the log
        self._lock = asyncio.Lock()  # one read of the log at a time
        self._generation = 0  # counts the windows forgotten: a read across one is dropped
        self._last_read = 0.0

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._pump(), name="atoll-event-hub"),
            asyncio.create_task(self._reader(), name="atoll-event-reader"),
        ]
        await asyncio.sleep(0)  # subscribed before the first request comes in

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for wake in self._wakes:
            wake.set()

    @contextlib.contextmanager
    def subscription(self, viewer_id: int) -> Iterator[asyncio.Event]:
        """A stream of ``viewer_id`` listens while the block runs: the event the hub sets
        when it has read something new."""
        wake = asyncio.Event()
        self._wakes.add(wake)
        if self.window.position is None:
            self._due.set()  # the window starts with the first stream
        self.spaces.watch(viewer_id)
        try:
            yield wake
        finally:
            self._wakes.discard(wake)
            self.spaces.unwatch(viewer_id)
            if not self._wakes:
                self._forget()  # nobody listens: keep nothing, start afresh with the next

    @property
    def streams(self) -> int:
        """How many streams of this process are listening."""
        return len(self._wakes)

    def nudge(self) -> None:
        """Read the log soon (a heartbeat: an event may have been written without being
        announced, e.g. by a command-line tool)."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_read >= NUDGE_SECONDS:
            self._due.set()

    def _forget(self) -> None:
        self._generation += 1
        self.window.forget()
        self.spaces.catalogue.forget()
        self.spaces.change_for_everybody()

    # --- reading the log ------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            try:
                async for message in self._broker.listen():
                    position = self.window.position
                    if message.isdigit() and (position is None or int(message) > position):
                        self._due.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - listen again; the reader polls meanwhile
                log.exception("the event hub lost its broker subscription")
            await asyncio.sleep(1)

    async def _reader(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), POLL_SECONDS)
            self._due.clear()
            if not self._wakes:
                continue  # nobody listens
            try:
                while await self.read_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - read again at the next wake or poll
                log.exception("the event hub could not read the event log")
                await asyncio.sleep(1)

    async def read_once(self) -> bool:
        """Read the next events of the log into the window and wake the streams; True when
        there may be more."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            self._last_read = loop.time()
            generation = self._generation
            async with self._engine.connect() as db:
                if self.window.position is None:
                    newest = int(await db.scalar(select(func.max(_EVENT.c.id))) or 0)
                    everything = await read_spaces(db)
                    if generation == self._generation:
                        self.window.start(newest)
                        self.spaces.catalogue.replace(everything, loop.time())
                        self._wake_all()  # those behind it read the log themselves
                    return False
                after = _EVENT.c.id > self.window.position
                next_rows = select(*_COLUMNS).where(after).order_by(_EVENT.c.id).limit(READ)
                rows = (await db.execute(next_rows)).all()
                if not rows:
                    return False
                await self._learn_spaces(db, rows, generation)
            if generation != self._generation:  # forgotten meanwhile: nobody listens
                return False
            # What these events change about who reads what first: no stream takes them
            # before that (see atoll.realtime.readable).
            for row in rows:
                self.spaces.note(row.type, row.person_id, row.data)
            self.window.add(rows)
            self._wake_all()
            return len(rows) >= READ

    async def _learn_spaces(
        self, db: AsyncConnection, rows: Sequence[Row[Any]], generation: int
    ) -> None:
        """Read the spaces the events change or name for the first time — all of them when
        the catalogue is stale or a change names no space — into the catalogue."""
        catalogue = self.spaces.catalogue
        changed = [row.space_id for row in rows if row.type == SPACE_CHANGED]
        if catalogue.stale or None in changed:
            everything = await read_spaces(db)
            if generation == self._generation:
                catalogue.replace(everything, asyncio.get_running_loop().time())
            return
        ids = {space_id for space_id in changed if space_id is not None}
        ids |= catalogue.unknown(row.space_id for row in rows)
        if ids:
            found = await read_spaces(db, Space.id.in_(ids))
            if generation == self._generation:
                catalogue.update(ids, found)

    def _wake_all(self) -> None:
        for wake in self._wakes:
            wake.set()

    async def _read_memberships(self, people: list[int]) -> dict[int, Memberships]:
        async with self._engine.connect() as db:
            return await read_memberships(db, people)
