"""The event stream of one signed-in person: what ``GET /api/v1/events`` sends.

Delivery
--------
Each server process runs one ``Hub``: a single subscription to the broker that wakes every
stream of the process when an event id is announced. A woken stream runs one indexed query,
``events_after``: the events with ``id > position`` that the person may see *now* — a space
event while the spaces policy lets them read that space, a personal event only when it is
theirs — oldest first, at most ``BATCH`` of them among the next ``WINDOW`` ids (so every
query reads a bounded stretch of the primary key). Announcements are only wake-up calls;
what is sent comes from the log, so a lost or foreign announcement costs at most a delay
(every heartbeat polls the log too), never an event.

Positions
---------
The position is an event id. ``events_after`` also reads the newest id in the log in the same
statement and, when the batch is not full, moves the position up to it (or to the end of the
window): everything up to there has been considered (ids commit in id order, see
``atoll.realtime.events``). Each event
sent carries its id; each heartbeat carries the position when it moved past events the
person did not see, so that a reconnecting client does not ask for them again.

A client that reconnects with ``Last-Event-ID`` (or ``?last_event_id=``) resumes from there:
every visible event it missed, in order, once, then live. If the log no longer reaches back
that far (pruned, see ``ATOLL_EVENT_RETENTION_HOURS``) — or names an id the log never had —
the stream sends one ``reload`` event (its id: the newest event) and carries on live from
there, rather than a partial history.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from atoll.config import Settings
from atoll.people import auth
from atoll.people.models import Person
from atoll.realtime.broker import Broker
from atoll.realtime.events import decode, log_bounds
from atoll.realtime.models import Event
from atoll.spaces import policy

log = logging.getLogger("atoll.realtime")
BATCH = 200  # events per query at most
WINDOW = 5000  # ids per query at most
RETRY_MS = 3000  # how long a disconnected EventSource waits before it reconnects


class Hub:
    """This process's one broker subscription, fanned out to its streams as wake-ups."""

    def __init__(self, broker: Broker) -> None:
        self._broker = broker
        self._wakes: set[asyncio.Event] = set()
        self._task: asyncio.Task[None] | None = None
        self.latest = 0  # the highest event id announced so far

    async def start(self) -> None:
        self._task = asyncio.create_task(self._pump(), name="atoll-event-hub")
        await asyncio.sleep(0)  # subscribed before the first request comes in

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for wake in self._wakes:
            wake.set()

    async def _pump(self) -> None:
        while True:
            try:
                async for message in self._broker.listen():
                    if message.isdigit():
                        self.latest = max(self.latest, int(message))
                    for wake in list(self._wakes):
                        wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - listen again; the heartbeats poll meanwhile
                log.exception("the event hub lost its broker subscription")
            await asyncio.sleep(1)

    @contextlib.contextmanager
    def subscription(self) -> Iterator[asyncio.Event]:
        wake = asyncio.Event()
        self._wakes.add(wake)
        try:
            yield wake
        finally:
            self._wakes.discard(wake)

    @property
    def streams(self) -> int:
        """How many streams of this process are listening."""
        return len(self._wakes)


def visible_to(viewer: Person) -> ColumnElement[bool]:
    """Events the viewer may see now: personal events only their own; space events only of
    spaces the spaces policy lets them read (evaluated in SQL, at delivery time)."""
    return and_(
        or_(Event.person_id.is_(None), Event.person_id == viewer.id),
        or_(Event.space_id.is_(None), Event.space_id.in_(policy.readable_space_ids(viewer))),
    )


@dataclass
class Batch:
    """What a query found: the events to send (rows with ``id``, ``type``, ``space_id`` and
    ``data``), the position to continue from, and whether the log holds more after it."""

    events: list[Row[Any]]
    position: int
    more: bool


class EventQuery:
    """The one query of a stream: the events after a position that the viewer may see, oldest
    first — at most ``limit``, and only among the next ``window`` ids, so that one query reads a
    bounded stretch of the primary key however few of those events the viewer may see.

    It is one statement, so one snapshot: it reads the newest id of the log beside the events,
    so that a batch that is not full moves the position past the events the viewer did not
    see (up to the end of the window or the newest id) — safely, because ids commit in id
    order. The statement is built once per viewer and run with new positions."""

    def __init__(self, viewer: Person, *, limit: int = BATCH, window: int = WINDOW) -> None:
        self.limit = limit
        self.window = window
        event = Event.__table__
        page = (
            select(event.c.id, event.c.type, event.c.space_id, event.c.data)
            .where(
                event.c.id > bindparam("position"),
                event.c.id <= bindparam("upper"),
                visible_to(viewer),
            )
            .order_by(event.c.id)
            .limit(limit)
            .subquery("page")
        )
        newest = select(func.max(event.c.id).label("newest")).subquery("newest")
        self.statement = (
            select(newest.c.newest, page)
            .select_from(newest)
            .outerjoin(page, true())
            .order_by(page.c.id)
        )

    async def run(self, db: AsyncConnection | AsyncSession, position: int) -> Batch:
        upper = position + self.window
        rows = (await db.execute(self.statement, {"position": position, "upper": upper})).all()
        events = [row for row in rows if row.id is not None]
        if len(events) >= self.limit:
            return Batch(events, events[-1].id, True)
        top = (rows[0].newest if rows else None) or 0
        reached = max(position, min(upper, top))
        return Batch(events, reached, reached < top)


async def events_after(
    db: AsyncConnection | AsyncSession,
    *,
    viewer: Person,
    position: int,
    limit: int = BATCH,
    window: int = WINDOW,
) -> Batch:
    """``EventQuery(viewer).run(db, position)`` in one call."""
    return await EventQuery(viewer, limit=limit, window=window).run(db, position)


def resume_position(
    last_event_id: int | None, oldest: int | None, newest: int | None
) -> tuple[int, bool]:
    """Where a new stream starts and whether the client must reload: a fresh client starts at
    the newest event; a returning one where it left off, unless the log no longer holds what
    came after that (pruned) or never held that id."""
    top = newest or 0
    if last_event_id is None:
        return top, False
    if last_event_id > top:
        return top, True
    if oldest is not None and last_event_id + 1 < oldest:
        return top, True
    return last_event_id, False


def frame(event_id: int, type: str, data: str) -> str:
    return f"id: {event_id}\nevent: {type}\ndata: {data}\n\n"


def event_frame(row: Row[Any]) -> str:
    data = decode(row.data)
    if row.space_id is not None:
        data.setdefault("space_id", str(row.space_id))
    return frame(row.id, row.type, json.dumps(data, separators=(",", ":"), ensure_ascii=False))


@dataclass
class Caller:
    """Who the stream is for, re-checked at every heartbeat: a revoked sign-in or a
    deactivated person ends the stream; a changed role takes effect."""

    person: Person
    raw_token: str


async def _still_signed_in(
    maker: async_sessionmaker[AsyncSession], settings: Settings, caller: Caller
) -> Person | None:
    async with maker() as session:
        credential = await auth.credential_for(session, settings, caller.raw_token)
        if credential is None or credential.person.id != caller.person.id:
            return None
        session.expunge(credential.person)
        await session.commit()  # credential_for may have slid the session's expiry
        return credential.person


async def _woken(wake: asyncio.Event, within: float) -> bool:
    try:
        await asyncio.wait_for(wake.wait(), timeout=max(within, 0))
    except TimeoutError:
        return False
    return True


async def event_stream(
    *,
    engine: AsyncEngine,
    maker: async_sessionmaker[AsyncSession],
    hub: Hub,
    settings: Settings,
    caller: Caller,
    last_event_id: int | None,
) -> AsyncIterator[str]:
    """The text of the stream, frame by frame, until the client goes away (the server then
    cancels it) or its sign-in ends."""
    loop = asyncio.get_running_loop()
    with hub.subscription() as wake:
        async with engine.connect() as db:
            oldest, newest = await log_bounds(db)
        position, reload = resume_position(last_event_id, oldest, newest)
        told = position  # the last id the client has been given
        yield f"retry: {RETRY_MS}\n\n"  # the first frame: the stream is in place from here
        if reload:
            yield frame(position, "reload", json.dumps({"reason": "history-unavailable"}))
        query = EventQuery(caller.person)
        beat_at = loop.time() + settings.sse_heartbeat_seconds
        while True:
            wake.clear()
            async with engine.connect() as db:
                batch = await query.run(db, position)
            for row in batch.events:
                yield event_frame(row)
                told = row.id
            position = batch.position
            if batch.more:
                continue
            # Wait for an announcement of something past the position (those that came in
            # during the query are in it already), or for the heartbeat.
            woken = False
            while not woken and await _woken(wake, beat_at - loop.time()):
                wake.clear()
                woken = hub.latest > position
            if woken:
                continue
            person = await _still_signed_in(maker, settings, caller)
            if person is None:
                return
            caller.person = person
            query = EventQuery(person)  # a changed role or kind takes effect
            yield f": keep-alive\nid: {position}\n\n" if position > told else ": keep-alive\n\n"
            told = position
            beat_at = loop.time() + settings.sse_heartbeat_seconds
