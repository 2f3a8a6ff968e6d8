"""The event stream of one signed-in person: what ``GET /api/v1/events`` sends.

Delivery
--------
Each server process runs one ``Hub`` (``atoll.realtime.hub``): a single subscription to the
broker and a single reader of the event log. When an event id is announced the hub reads the
new events once, for all the streams of the process, keeps the newest of them in memory and
wakes the streams; each stream sends those after its position that its person may see *now*
— a space event while the spaces policy lets them read that space, a personal event only when
it is theirs — in id order, in one write. Announcements are only wake-up calls; what is sent
comes from the log, so a lost or foreign announcement costs at most a delay (the hub polls the
log, and every heartbeat nudges it), never an event.

A stream further behind than the hub's window — a client resuming from an old id — reads the
log itself with one indexed query, ``events_after``: at most ``BATCH`` visible events among
the next ``WINDOW`` ids (so every query reads a bounded stretch of the primary key), until it
has caught up with the window.

Positions
---------
The position is an event id: everything up to it has been considered. ``events_after``
reads the newest id in the log in the same statement and, when the batch is not full, moves
the position up to it (or to the end of the window); a stream served by the hub moves to the
hub's position (ids commit in id order, see ``atoll.events.outbox``). Each event sent
carries its id; each heartbeat carries the position when it moved past events the person did
not see, so that a reconnecting client does not ask for them again.

A client that reconnects with ``Last-Event-ID`` (or ``?last_event_id=``) resumes from there:
every visible event it missed, in order, once, then live. If the log no longer reaches back
that far (pruned, see ``ATOLL_EVENT_RETENTION_HOURS``) — or names an id the log never had —
the stream sends one ``reload`` event (its id: the newest event) and carries on live from
there, rather than a partial history.

Sign-in and role
----------------
The stream checks its sign-in again at each heartbeat, and at once when the log brings an
``access.changed`` of its person (``atoll.people.events``: a sign-in of theirs was revoked,
they were deactivated, their kind or role changed) — before it sends anything that came
after that event. A revoked sign-in or a deactivated person ends the stream; a changed role
or kind takes effect (and the person's readable spaces are read again). Since the event goes
through the log, this holds on every server of a cluster, within the time the hub takes to
read it (an announcement, or at worst its poll).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from atoll.config import Settings
from atoll.events.models import Event
from atoll.events.outbox import log_bounds
from atoll.people.events import ACCESS_CHANGED
from atoll.people.models import Person
from atoll.realtime.hub import Hub, event_frame, frame, sees
from atoll.realtime.signins import SignIns
from atoll.spaces import policy

__all__ = ["Hub", "event_frame", "frame"]  # also where app.py and the tests find them
BATCH = 200  # events per query at most
WINDOW = 5000  # ids per query at most
RETRY_MS = 3000  # how long a disconnected EventSource waits before it reconnects


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
            select(event.c.id, event.c.type, event.c.space_id, event.c.person_id, event.c.data)
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


@dataclass
class Caller:
    """Who the stream is for, re-checked at every heartbeat: a revoked sign-in or a
    deactivated person ends the stream; a changed role takes effect."""

    person: Person
    raw_token: str


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
    hub.use(engine)
    beat = settings.sse_heartbeat_seconds

    async def still_signed_in() -> bool:
        """Check the sign-in again (at a heartbeat, or at once after an ``access.changed``
        of this person): False when it ended; else the person as they are now takes effect."""
        if hub.sign_ins is None:
            hub.sign_ins = SignIns(maker, settings)
        renewed = await hub.sign_ins.person_for(caller.raw_token)
        if renewed is None or renewed.id != caller.person.id:
            return False
        caller.person = renewed
        return True

    with hub.subscription(caller.person.id) as wake:
        async with engine.connect() as db:
            oldest, newest = await log_bounds(db)
        await hub.verify(newest)
        position, reload = resume_position(last_event_id, oldest, newest)
        await hub.readable(caller.person)  # now rather than with everybody at the next event
        told = position  # the last id the client has been given
        yield f"retry: {RETRY_MS}\n\n"  # the first frame: the stream is in place from here
        if reload:
            yield frame(position, "reload", json.dumps({"reason": "history-unavailable"}))
        query: EventQuery | None = None
        beat_at = loop.time() + beat
        timer = loop.call_at(beat_at, wake.set)  # the heartbeat wakes the stream too
        try:
            while True:
                wake.clear()
                if hub.reaches(position):
                    events, position = hub.after(position)
                    while events:
                        # What follows a change of the viewer's access is sent only after
                        # their sign-in and person are read again.
                        cut = _access_change(events, caller.person.id)
                        # The readable spaces are asked for after taking the events.
                        viewer = caller.person
                        spaces = hub.kept(viewer) or await hub.readable(viewer)
                        seen = [e for e in events[:cut] if sees(e, viewer.id, spaces)]
                        if seen:
                            yield "".join(e.text for e in seen)
                            told = seen[-1].id
                        if cut == len(events):
                            break
                        if not await still_signed_in():
                            return
                        query = None
                        yield events[cut].text
                        told = events[cut].id
                        events = events[cut + 1 :]
                else:  # behind the hub's window: read the log with the stream's own query
                    query = query or EventQuery(caller.person)
                    async with engine.connect() as db:
                        batch = await query.run(db, position)
                    rows = batch.events
                    cut = _access_change(rows, caller.person.id)
                    if rows[:cut]:
                        yield "".join(event_frame(row) for row in rows[:cut])
                        told = rows[cut - 1].id
                    if cut < len(rows):  # the rest is read again for the person as they are now
                        if not await still_signed_in():
                            return
                        query = None
                        yield event_frame(rows[cut])
                        position = told = rows[cut].id
                        continue
                    position = batch.position
                    if batch.more:
                        continue
                # Wait for the heartbeat, or for the hub to read past the position (the timer and
                # the hub set the same wake: no task or timeout is made per wake-up).
                while loop.time() < beat_at and (hub.position is None or hub.position <= position):
                    await wake.wait()
                    wake.clear()
                if loop.time() < beat_at:
                    continue
                hub.nudge()  # an event written without an announcement is found by now
                if not await still_signed_in():
                    return
                query = None  # a changed role or kind takes effect
                hub.expire(caller.person, older_than=beat)
                yield f": keep-alive\nid: {position}\n\n" if position > told else ": keep-alive\n\n"
                told = position
                beat_at = loop.time() + beat
                timer.cancel()
                timer = loop.call_at(beat_at, wake.set)
        finally:
            timer.cancel()


def _access_change(events: Sequence[Any], viewer_id: int) -> int:
    """The index of the first ``access.changed`` of the viewer among ``events`` (window
    deliveries or log rows), or their number when there is none."""
    for index, event in enumerate(events):
        if event.type == ACCESS_CHANGED and event.person_id == viewer_id:
            return index
    return len(events)
