"""The hub: one reader of the event log per server process, shared by all its streams.

Why
---
A stream used to run its own visibility-filtered query each time an event was announced, so
one event cost one query per open stream. The hub reads the log once per wake-up for all the
streams of the process — the events after its position, oldest first, whoever they are for —
renders each event's frame once, and keeps the newest ``KEEP`` of them in memory (the
*window*). A stream takes from the window the events after its own position and keeps those
its viewer may see; a stream further behind than the window (a client resuming from an old
id) reads the log with its own query (``EventQuery``) until it reaches the window.

Visibility, at delivery time
----------------------------
Who may see an event is decided as before: a personal event only by its person; a space
event only while the spaces policy lets the viewer read its space. What changes is when that
SQL runs. The policy's rule is "the spaces every reader of your kind reads, and the spaces you
belong to" (``policy.readable_by_all``, ``policy.MEMBERSHIPS_OF``), so the hub keeps the
first part once per kind of reader (``Shared``: all the open spaces for the members, say) and
the second per person (``Access``: a handful of ids), and a viewer reads a space if either
holds it (``Readable``). Both are read again

- when an event that can change access comes through the hub, *before* any later event is
  handed to a stream: ``membership.changed`` (the people it names), ``space.changed`` (a
  space's visibility: everybody), and any event of a space the hub has not seen before (a new
  space, possibly open to all: everybody);
- when the viewer's role or kind changed (the stream re-reads its person at each heartbeat;
  the set is kept per person *and* role and kind);
- when they are older than one heartbeat of a stream of that person (a safety net: the
  heartbeat drops them, and the next event that needs them reads them again).

The memberships of the people whose streams one event woke are read together, with one query
(``Gather``): after a heartbeat, or after an access change for everybody, an event costs two
queries, not one per stream.

A new stream reads its person's set as it opens (unless kept), so that the first event after
many streams opened does not make them all read at once.

Why that is safe: a stream asks for the set only *after* it has taken its events from the
window, and the hub drops the sets an access-changing event touches before it puts that event
(and those after it) in the window. So a set used for an event with id N was read after every
access change with an id up to N had committed (events commit in id order; see
``atoll.events.outbox``) — a person removed from a private space gets none of its later
events. A set that was being read while an access change came through is used for the
events taken before it, and not kept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from atoll.events.broker import Broker
from atoll.events.models import Event
from atoll.events.outbox import decode
from atoll.kit.gather import Gather
from atoll.people.events import ACCESS_CHANGED
from atoll.people.models import Person
from atoll.realtime.signins import SignIns
from atoll.spaces import policy
from atoll.spaces.models import Space

log = logging.getLogger("atoll.realtime")
T = TypeVar("T")
KEEP = 5000  # events kept in memory for the streams (up to twice as many between trims)
READ = 500  # events per read of the log at most
POLL_SECONDS = 5.0  # the hub reads the log this often even when nothing is announced
NUDGE_SECONDS = 1.0  # a heartbeat's nudge makes the hub read at most this often
# Events after which the readable spaces of the people they name are read again; a
# ``space.changed`` (or an unparseable one) makes everybody's be read again. An
# ``access.changed`` is for one person: their streams also check their sign-in again.
MEMBERSHIP_CHANGED = "membership.changed"
SPACE_CHANGED = "space.changed"


def frame(event_id: int, type: str, data: str) -> str:
    return f"id: {event_id}\nevent: {type}\ndata: {data}\n\n"


def event_frame(row: Row[Any]) -> str:
    data = decode(row.data)
    if row.space_id is not None:
        data.setdefault("space_id", str(row.space_id))
    return frame(row.id, row.type, json.dumps(data, separators=(",", ":"), ensure_ascii=False))


@dataclass(slots=True)
class Delivery:
    """One event of the window: who it is for and its frame, rendered once."""

    id: int
    type: str
    space_id: int | None
    person_id: int | None
    text: str


class SpaceIds:
    """A sorted set of space ids in 8 bytes each (a frozenset of 500 ids takes ~48 KiB; the
    hub keeps one per person streaming)."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[int]) -> None:
        self._ids = array("q", sorted(set(ids)))

    def __contains__(self, space_id: object) -> bool:
        ids = self._ids
        i = bisect_left(ids, space_id)  # type: ignore[call-overload]
        return i < len(ids) and ids[i] == space_id

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(slots=True)
class Shared:
    """The spaces every reader of one kind may read, as read at ``loaded_at``."""

    spaces: SpaceIds
    loaded_at: float


NO_SPACES = SpaceIds(())


class Readable:
    """The spaces one viewer may read: those every reader of their kind reads (shared by all of
    them) and those they belong to."""

    __slots__ = ("_own", "shared")

    def __init__(self, shared: Shared, own: SpaceIds) -> None:
        self.shared = shared
        self._own = own

    def __contains__(self, space_id: object) -> bool:
        return space_id in self._own or space_id in self.shared.spaces


@dataclass(slots=True)
class Access:
    """What one person may read, as read for their role and kind at ``loaded_at``."""

    role: str
    kind: str
    spaces: Readable
    loaded_at: float  # the older of the two reads it holds


def sees(delivery: Delivery, viewer_id: int, spaces: Readable) -> bool:
    return (delivery.person_id is None or delivery.person_id == viewer_id) and (
        delivery.space_id is None or delivery.space_id in spaces
    )


def _named_people(data: dict[str, Any]) -> list[int] | None:
    """The people a ``membership.changed`` names (None: it could not be read)."""
    raw = data.get("person_ids", [data["person_id"]] if "person_id" in data else None)
    if not isinstance(raw, list):
        return None
    try:
        return [int(value) for value in raw]
    except (TypeError, ValueError):
        return None


class Hub:
    """This process's one broker subscription and one reader of the event log, fanned out to
    its streams. ``engine`` may be given later (``use``): the first stream brings it."""

    def __init__(
        self,
        broker: Broker,
        engine: AsyncEngine | None = None,
        *,
        keep: int = KEEP,
        read: int = READ,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._broker = broker
        self._engine = engine
        self._keep = keep
        self._read = read
        self._poll = poll_seconds
        self._wakes: set[asyncio.Event] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._due = asyncio.Event()  # something may be past the position: read the log
        self._engine_set = asyncio.Event()
        self.latest = 0  # the highest event id announced so far
        # The window: the events with ids in (floor, position], oldest first. None: not
        # read yet (the streams read the log themselves meanwhile).
        self.floor: int | None = None
        self.position: int | None = None
        self._recent: list[Delivery] = []
        self._ids: list[int] = []
        self.reads = 0  # how many times the hub read the log (for tests and benchmarks)
        # Readable spaces per person streaming, and the bookkeeping that keeps them true.
        self._access: dict[int, Access] = {}
        self._loading: dict[tuple[int, str, str], asyncio.Future[Readable]] = {}
        self._shared: dict[str, Shared] = {}  # per kind of reader (policy.reader_of)
        self._shared_loading: dict[str, asyncio.Future[Shared]] = {}
        self._memberships = Gather(self._read_memberships, name="atoll-memberships")
        self._viewers: Counter[int] = Counter()
        self._epoch = 0  # counts access changes seen
        self._changed: dict[int, int] = {}  # person id -> epoch of their last access change
        self._everybody_changed = 0  # epoch of the last change for everybody
        self._known_spaces: set[int] | None = None
        self._last_read = 0.0
        self.sign_ins: SignIns | None = None  # the heartbeats' checks (the first stream's)
        self._check = False  # see whether the log went back before the next read
        self._lock = asyncio.Lock()  # one read of the log at a time
        if engine is not None:
            self._engine_set.set()

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

    def use(self, engine: AsyncEngine) -> None:
        """The database to read the log from (the first one given is kept)."""
        if self._engine is None:
            self._engine = engine
            self._engine_set.set()

    @contextlib.contextmanager
    def subscription(self, viewer_id: int | None = None) -> Iterator[asyncio.Event]:
        wake = asyncio.Event()
        self._wakes.add(wake)
        if self.position is None:
            self._due.set()  # the window starts with the first stream
        if viewer_id is not None:
            self._viewers[viewer_id] += 1
        try:
            yield wake
        finally:
            self._wakes.discard(wake)
            if viewer_id is not None:
                self._viewers[viewer_id] -= 1
                if self._viewers[viewer_id] <= 0:
                    del self._viewers[viewer_id]
                    self._access.pop(viewer_id, None)
                    self._changed.pop(viewer_id, None)

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

    # --- reading the log ------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            try:
                async for message in self._broker.listen():
                    if message.isdigit():
                        announced = int(message)
                        self.latest = max(self.latest, announced)
                        if self.position is None or announced > self.position:
                            self._due.set()
                        else:  # late, foreign, or the log went back (a test emptied it)
                            self._check = True
                            self._due.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - listen again; the reader polls meanwhile
                log.exception("the event hub lost its broker subscription")
            await asyncio.sleep(1)

    async def _reader(self) -> None:
        await self._engine_set.wait()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self._poll)
            self._due.clear()
            if not self._wakes:  # nobody listens: forget the window, start afresh later
                async with self._lock:
                    self._forget()
                continue
            try:
                while await self.read_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - read again at the next wake or poll
                log.exception("the event hub could not read the event log")
                await asyncio.sleep(1)

    async def verify(self, newest: int | None) -> None:
        """A stream saw ``newest`` as the newest id of the log: if that is below the hub's
        position, check whether the log went back (never in service: ids only grow; the
        tests empty the tables) and if so start the window afresh."""
        if self.position is not None and (newest or 0) < self.position:
            async with self._lock:
                await self._verify()

    async def _verify(self) -> None:
        assert self._engine is not None
        self._check = False
        async with self._engine.connect() as db:
            newest = int(await db.scalar(select(func.max(Event.id))) or 0)
        if self.position is not None and newest < self.position:
            log.warning("the event log went back from %s to %s", self.position, newest)
            self._forget()
            self._due.set()

    def _forget(self) -> None:
        self.floor = self.position = None
        self._recent, self._ids = [], []
        self._change_for_everybody()

    async def read_once(self) -> bool:
        """Read the next events of the log into the window and wake the streams; True when
        there may be more."""
        async with self._lock:
            if self._check:
                await self._verify()
            return await self._read_once()

    async def _read_once(self) -> bool:
        assert self._engine is not None
        self._last_read = asyncio.get_running_loop().time()
        self.reads += 1
        event = Event.__table__
        async with self._engine.connect() as db:
            if self.position is None:
                newest = await db.scalar(select(func.max(event.c.id)))
                self.floor = self.position = int(newest or 0)
                await self._learn_spaces(db)
                self._wake_all()  # those behind it read the log themselves
                return False
            rows = (
                await db.execute(
                    select(
                        event.c.id, event.c.type, event.c.space_id, event.c.person_id, event.c.data
                    )
                    .where(event.c.id > self.position)
                    .order_by(event.c.id)
                    .limit(self._read)
                )
            ).all()
            if not rows:
                return False
            unknown = {row.space_id for row in rows if row.space_id is not None}
            if self._known_spaces is not None:
                unknown -= self._known_spaces
            if unknown:
                await self._learn_spaces(db)
        # Access changes first: no stream takes these events before the sets they change
        # are dropped (see the module's docstring).
        if unknown:
            self._change_for_everybody()
        for row in rows:
            self._note_access_change(row)
        for row in rows:
            self._recent.append(
                Delivery(row.id, row.type, row.space_id, row.person_id, event_frame(row))
            )
            self._ids.append(row.id)
        self.position = rows[-1].id
        if len(self._recent) >= 2 * self._keep:  # trimmed now and then: lists bisect fast
            cut = len(self._recent) - self._keep
            self.floor = self._ids[cut - 1]
            del self._recent[:cut], self._ids[:cut]
        self._wake_all()
        return len(rows) >= self._read

    def _wake_all(self) -> None:
        for wake in self._wakes:
            wake.set()

    async def _learn_spaces(self, db: Any) -> None:
        self._known_spaces = set((await db.execute(select(Space.id))).scalars())

    def _note_access_change(self, row: Row[Any]) -> None:
        if row.type == SPACE_CHANGED:
            self._change_for_everybody()
        elif row.type == ACCESS_CHANGED and row.person_id is not None:
            self._change_for(row.person_id)
        elif row.type == MEMBERSHIP_CHANGED:
            people = _named_people(decode(row.data))
            if people is None:
                self._change_for_everybody()
                return
            self._change_for(*people)

    def _change_for(self, *people: int) -> None:
        self._epoch += 1
        for person_id in people:
            if person_id not in self._viewers:
                continue
            self._access.pop(person_id, None)
            self._changed[person_id] = self._epoch
            for key in [k for k in self._loading if k[0] == person_id]:
                del self._loading[key]

    def _change_for_everybody(self) -> None:
        self._epoch += 1
        self._everybody_changed = self._epoch
        self._access.clear()
        self._changed.clear()
        self._loading.clear()
        self._shared.clear()
        self._shared_loading.clear()

    # --- what a stream takes --------------------------------------------------------------

    def reaches(self, position: int) -> bool:
        """Whether the window holds every event after ``position`` the hub has read."""
        return self.floor is not None and position >= self.floor

    def after(self, position: int) -> tuple[list[Delivery], int]:
        """The events of the window after ``position`` and the position they bring the stream
        to (the hub's). Only when ``reaches(position)``."""
        assert self.position is not None
        if position >= self.position:
            return [], position
        start = bisect_right(self._ids, position)
        return self._recent[start:], self.position

    def expire(self, viewer: Person, *, older_than: float) -> None:
        """The heartbeat's safety net: forget the viewer's readable spaces, and those every
        reader of their kind reads, if read more than ``older_than`` seconds ago. The next
        event that needs them reads them again (for all the streams it wakes at once), and an
        idle stream keeps nothing."""
        now = asyncio.get_running_loop().time()
        reader = policy.reader_of(viewer)
        shared = self._shared.get(reader)
        if shared is not None and now - shared.loaded_at > older_than:
            del self._shared[reader]
        kept = self._access.get(viewer.id)
        if kept is not None and now - kept.loaded_at > older_than:
            del self._access[viewer.id]

    def kept(self, viewer: Person) -> Readable | None:
        """The spaces ``viewer`` may read if they are kept (nothing to await)."""
        kept = self._access.get(viewer.id)
        if kept is not None and (kept.role, kept.kind) == (viewer.role, viewer.kind):
            return kept.spaces
        return None

    async def readable(self, viewer: Person) -> Readable:
        """The spaces ``viewer`` may read — kept, or read now. Ask only after taking the
        events to filter (see the module's docstring)."""
        spaces = self.kept(viewer)
        if spaces is not None:
            return spaces

        def keep(spaces: Readable, epoch: int, at: float) -> None:
            changed = max(self._changed.get(viewer.id, 0), self._everybody_changed)
            if changed <= epoch and viewer.id in self._viewers:
                at = min(at, spaces.shared.loaded_at)
                self._access[viewer.id] = Access(viewer.role, viewer.kind, spaces, at)

        key = (viewer.id, viewer.role, viewer.kind)
        return await self._once(self._loading, key, lambda: self._load(viewer), keep)

    async def _load(self, viewer: Person) -> Readable:
        reader = policy.reader_of(viewer)
        shared = await self._readable_by_all(reader)
        own = None
        if reader in policy.READ_BY_MEMBERSHIP:
            own = await self._memberships.get(viewer.id)
        return Readable(shared, own or NO_SPACES)

    async def _read_memberships(self, people: list[int]) -> dict[int, SpaceIds]:
        assert self._engine is not None
        spaces: dict[int, list[int]] = {}
        async with self._engine.connect() as db:
            for person_id, space_id in await db.execute(policy.MEMBERSHIPS_OF, {"people": people}):
                spaces.setdefault(person_id, []).append(space_id)
        return {person_id: SpaceIds(ids) for person_id, ids in spaces.items()}

    async def _readable_by_all(self, reader: str) -> Shared:
        """The spaces every reader of this kind reads — kept, or read now."""
        kept = self._shared.get(reader)
        if kept is not None:
            return kept

        async def load() -> Shared:
            assert self._engine is not None
            async with self._engine.connect() as db:
                ids = await db.scalars(select(Space.id).where(policy.readable_by_all(reader)))
                return Shared(SpaceIds(ids), asyncio.get_running_loop().time())

        def keep(shared: Shared, epoch: int, _at: float) -> None:
            if self._everybody_changed <= epoch:
                self._shared[reader] = shared

        return await self._once(self._shared_loading, reader, load, keep)

    async def _once(
        self,
        loading: dict[Any, asyncio.Future[T]],
        key: Any,
        load: Callable[[], Awaitable[T]],
        keep: Callable[[T, int, float], None],
    ) -> T:
        """``load()`` once for everybody who asks for ``key`` meanwhile; the one who loaded
        then calls ``keep(value, epoch, time)`` with the epoch from before the read, so that
        what was read across a change of access is used by those waiting, but not kept (an
        access change drops what is loading: those who ask after it read again)."""
        pending = loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        epoch = self._epoch
        future: asyncio.Future[T] = loop.create_future()
        loading[key] = future
        try:
            value = await load()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters get it
            raise
        finally:
            if loading.get(key) is future:
                del loading[key]
        future.set_result(value)
        keep(value, epoch, loop.time())
        return value
