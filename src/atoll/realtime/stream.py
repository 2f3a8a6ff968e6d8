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
log itself (``atoll.realtime.history``) until it has caught up with the window.

Positions
---------
The position is an event id: everything up to it has been considered. A stream served by the
hub moves to the hub's position; one reading the log itself moves past the events its person
did not see (ids commit in id order, see ``atoll.events.outbox``). Each event sent carries its
id; each heartbeat carries the position when it moved past events the person did not see, so
that a reconnecting client does not ask for them again.

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

from sqlalchemy.ext.asyncio import AsyncEngine

from atoll.events.outbox import log_bounds
from atoll.kit.settings import Settings
from atoll.people.events import ACCESS_CHANGED
from atoll.people.models import Person
from atoll.realtime.history import EventQuery, resume_position
from atoll.realtime.hub import Hub
from atoll.realtime.readable import Readable
from atoll.realtime.signins import SignIns
from atoll.realtime.window import Delivery, event_frame, frame

RETRY_MS = 3000  # how long a disconnected EventSource waits before it reconnects


@dataclass
class Caller:
    """Who the stream is for, re-checked at every heartbeat: a revoked sign-in or a
    deactivated person ends the stream; a changed role takes effect."""

    person: Person
    raw_token: str


async def event_stream(
    *,
    engine: AsyncEngine,
    hub: Hub,
    sign_ins: SignIns,
    settings: Settings,
    caller: Caller,
    last_event_id: int | None,
) -> AsyncIterator[str]:
    """The text of the stream, frame by frame, until the client goes away (the server then
    cancels it) or its sign-in ends."""
    loop = asyncio.get_running_loop()
    beat = settings.sse_heartbeat_seconds
    stream = Stream(engine=engine, hub=hub, sign_ins=sign_ins, caller=caller)
    with hub.subscription(caller.person.id) as wake:
        for text in await stream.open(last_event_id):
            yield text
        beat_at = loop.time() + beat
        timer = loop.call_at(beat_at, wake.set)  # the heartbeat wakes the stream too
        try:
            while True:
                wake.clear()
                async for text in stream.catch_up():
                    yield text
                if stream.ended:
                    return
                if stream.more:
                    continue
                # Wait for the heartbeat, or for the hub to read past the position (the timer
                # and the hub set the same wake: no task or timeout is made per wake-up).
                while loop.time() < beat_at and not stream.behind():
                    await wake.wait()
                    wake.clear()
                if loop.time() < beat_at:
                    continue
                keep_alive = await stream.heartbeat(older_than=beat)
                if keep_alive is None:
                    return
                yield keep_alive
                beat_at = loop.time() + beat
                timer.cancel()
                timer = loop.call_at(beat_at, wake.set)
        finally:
            timer.cancel()


class Stream:
    """One stream between its frames: its position, the last id the client was told, and the
    query it reads the log with while it is behind the hub's window."""

    def __init__(self, *, engine: AsyncEngine, hub: Hub, sign_ins: SignIns, caller: Caller):
        self._engine = engine
        self._hub = hub
        self._sign_ins = sign_ins
        self.caller = caller
        self.position = 0
        self.told = 0  # the last id the client has been given
        self.more = False  # the log holds more for it right now
        self.ended = False  # its sign-in ended
        self._query: EventQuery | None = None

    async def open(self, last_event_id: int | None) -> list[str]:
        """Where the stream starts, and its first frames: the ``retry:`` hint (the stream is
        in place from here), then ``reload`` if the log no longer reaches back far enough."""
        async with self._engine.connect() as db:
            oldest, newest = await log_bounds(db)
        self.position, reload = resume_position(last_event_id, oldest, newest)
        self.told = self.position
        # now rather than with everybody at the next event
        await self._hub.spaces.readable(self.caller.person)
        frames = [f"retry: {RETRY_MS}\n\n"]
        if reload:
            frames.append(
                frame(self.position, "reload", json.dumps({"reason": "history-unavailable"}))
            )
        return frames

    def behind(self) -> bool:
        """Whether the hub has read past the stream's position."""
        position = self._hub.window.position
        return position is not None and position > self.position

    def catch_up(self) -> AsyncIterator[str]:
        """What the client has not been sent yet that its person may see now, from the window
        if it reaches back to the position, else from the log."""
        self.more = False
        if self._hub.window.reaches(self.position):
            return self._from_window()
        return self._from_log()

    async def _from_window(self) -> AsyncIterator[str]:
        events, self.position = self._hub.window.after(self.position)
        while events:
            # What follows a change of the viewer's access is sent only after their sign-in
            # and person are read again.
            cut = _access_change(events, self.caller.person.id)
            viewer = self.caller.person
            # What the viewer may read is asked for after taking the events.
            readable = self._hub.spaces.kept(viewer) or await self._hub.spaces.readable(viewer)
            seen = [event for event in events[:cut] if _sees(event, viewer, readable)]
            if seen:
                self.told = seen[-1].id
                yield "".join(event.text for event in seen)
            if cut == len(events) or not await self._signed_in():
                return
            self.told = events[cut].id
            yield events[cut].text
            events = events[cut + 1 :]

    async def _from_log(self) -> AsyncIterator[str]:
        self._query = self._query or EventQuery(self.caller.person)
        async with self._engine.connect() as db:
            batch = await self._query.run(db, self.position)
        rows = batch.events
        cut = _access_change(rows, self.caller.person.id)
        if cut:
            self.told = rows[cut - 1].id
            yield "".join(event_frame(row) for row in rows[:cut])
        if cut < len(rows):  # the rest is read again for the person as they are now
            if await self._signed_in():
                self.position = self.told = rows[cut].id
                self.more = True
                yield event_frame(rows[cut])
            return
        self.position = batch.position
        self.more = batch.more

    async def heartbeat(self, *, older_than: float) -> str | None:
        """The heartbeat's frame, after checking the sign-in again (None: it ended)."""
        self._hub.nudge()  # an event written without an announcement is found by now
        if not await self._signed_in():
            return None
        self._hub.spaces.expire(self.caller.person, older_than=older_than)
        moved = self.position > self.told
        self.told = self.position
        return f": keep-alive\nid: {self.position}\n\n" if moved else ": keep-alive\n\n"

    async def _signed_in(self) -> bool:
        """Check the sign-in again (at a heartbeat, or at once after an ``access.changed`` of
        this person): False when it ended; else the person as they are now takes effect."""
        renewed = await self._sign_ins.person_for(self.caller.raw_token)
        if renewed is None or renewed.id != self.caller.person.id:
            self.ended = True
            return False
        self.caller.person = renewed
        self._query = None  # a changed role or kind takes effect
        return True


def _sees(delivery: Delivery, viewer: Person, readable: Readable) -> bool:
    return (delivery.person_id is None or delivery.person_id == viewer.id) and (
        delivery.space_id is None or readable.reads(viewer, delivery.space_id)
    )


def _access_change(events: Sequence[Any], viewer_id: int) -> int:
    """The index of the first ``access.changed`` of the viewer among ``events`` (window
    deliveries or log rows), or their number when there is none."""
    for index, event in enumerate(events):
        if event.type == ACCESS_CHANGED and event.person_id == viewer_id:
            return index
    return len(events)
