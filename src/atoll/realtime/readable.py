"""What each person streaming may read, kept in memory for the hub's streams.

Who may see a space event is decided by the read rule of ``atoll.spaces.policy``, at delivery
time, here in Python: ``may_read`` is the one place the streams ask it. What it needs is kept
so that asking costs no query:

- the *catalogue*: every space, as a row (``Catalogue``), one for the process. The hub keeps
  it true: it reads a space again when the log brings a ``space.changed`` of it, reads a space
  it has not seen before (a new one) before that space's first event reaches a stream, and
  reads them all again when a heartbeat finds the catalogue older than one heartbeat (a safety
  net for a change made behind its back);
- each person's memberships (``Memberships``: space id -> role), read when their stream opens
  and again after anything that may have changed them, kept while they stream.

Memberships are read again

- when an event that can change them comes through the hub, *before* any later event is
  handed to a stream: ``membership.changed`` (the people it names; everybody's when it cannot
  be read) and ``access.changed`` (its person);
- when they are older than one heartbeat of a stream of that person (the safety net: the
  heartbeat drops them, and the next event that needs them reads them again).

The memberships of the people whose streams one event woke are read together, with one query
(``Gather``): after a heartbeat, or after an access change for everybody, an event costs one
query, not one per stream.

Why that is safe: a stream asks for a person's memberships only *after* it has taken its
events from the window, and the hub drops the memberships an event touches before it puts
that event (and those after it) in the window. So memberships used for an event with id N were
read after every change with an id up to N had committed (events commit in id order; see
``atoll.events.outbox``) — a person removed from a private space gets none of its later
events. Memberships that were being read while a change came through are used for the events
taken before it, and not kept (the *epochs* count the changes seen)."""

from __future__ import annotations

import asyncio
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from atoll.events.outbox import decode
from atoll.kit.gather import Gather
from atoll.people.events import ACCESS_CHANGED
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Membership, Space

# Events after which the memberships of the people they name are read again (everybody's
# when they name nobody that can be read). ``space.changed`` makes the hub read its space.
MEMBERSHIP_CHANGED = "membership.changed"
SPACE_CHANGED = "space.changed"


def may_read(viewer: Person, space: Space, role: str | None) -> bool:
    """The read rule, as ``atoll.spaces.policy`` states it: whether ``viewer``, with ``role``
    in ``space`` (None: no membership), may read its content. The streams ask nothing else."""
    return policy.can_read(viewer, space, role)


class Memberships:
    """One person's spaces and roles, in 8 bytes and a pointer each (the hub keeps one per
    person streaming; a dict of 500 would take ~40 KiB)."""

    __slots__ = ("_ids", "_roles")

    def __init__(self, pairs: Iterable[tuple[int, str]]) -> None:
        ordered = sorted(dict(pairs).items())
        self._ids = array("q", [space_id for space_id, _ in ordered])
        self._roles = tuple(sys.intern(role) for _, role in ordered)

    def role(self, space_id: int) -> str | None:
        """The person's role in the space, or None when they do not belong to it."""
        ids = self._ids
        i = bisect_left(ids, space_id)
        return self._roles[i] if i < len(ids) and ids[i] == space_id else None

    def __len__(self) -> int:
        return len(self._ids)


NO_MEMBERSHIPS = Memberships(())

# The memberships of some people: (person id, space id, role) rows, for the ids bound as
# ``people``.
MEMBERSHIPS_OF = select(Membership.person_id, Membership.space_id, Membership.role).where(
    Membership.person_id.in_(bindparam("people", expanding=True))
)


async def read_memberships(db: AsyncConnection, people: list[int]) -> dict[int, Memberships]:
    pairs: dict[int, list[tuple[int, str]]] = {}
    for person_id, space_id, role in await db.execute(MEMBERSHIPS_OF, {"people": people}):
        pairs.setdefault(person_id, []).append((space_id, role))
    return {person_id: Memberships(rows) for person_id, rows in pairs.items()}


async def read_spaces(db: AsyncConnection, *where: ColumnElement[bool]) -> list[Space]:
    """Spaces as rows the read rule can be asked about (detached: nothing loads later)."""
    async with AsyncSession(bind=db) as session:
        return list(await session.scalars(select(Space).where(*where)))


class Catalogue:
    """Every space of the database, by id, as the hub last read it (at ``loaded_at``, by the
    event loop's clock, when it read them all). Only the hub changes it."""

    def __init__(self) -> None:
        self._spaces: dict[int, Space] = {}
        self.loaded_at = 0.0
        self.stale = True  # read them all at the next read of the log

    def get(self, space_id: int) -> Space | None:
        return self._spaces.get(space_id)

    def unknown(self, space_ids: Iterable[int | None]) -> set[int]:
        return {i for i in space_ids if i is not None and i not in self._spaces}

    def replace(self, spaces: Sequence[Space], at: float) -> None:
        self._spaces = {space.id: space for space in spaces}
        self.loaded_at, self.stale = at, False

    def update(self, space_ids: Iterable[int], spaces: Sequence[Space]) -> None:
        """The spaces ``space_ids`` as read now (those not found are gone)."""
        for space_id in space_ids:
            self._spaces.pop(space_id, None)
        self._spaces.update((space.id, space) for space in spaces)

    def forget(self) -> None:
        self._spaces, self.stale = {}, True


class Readable:
    """What one person may read: the catalogue, their memberships, and the read rule."""

    __slots__ = ("_catalogue", "_memberships")

    def __init__(self, catalogue: Catalogue, memberships: Memberships) -> None:
        self._catalogue = catalogue
        self._memberships = memberships

    def reads(self, viewer: Person, space_id: int) -> bool:
        """Whether ``viewer`` (the person these memberships are of, as they are now) may read
        the space; a space the catalogue does not hold, nobody reads."""
        space = self._catalogue.get(space_id)
        return space is not None and may_read(viewer, space, self._memberships.role(space_id))


@dataclass(slots=True)
class Kept:
    readable: Readable
    loaded_at: float


def named_people(data: dict[str, Any]) -> list[int] | None:
    """The people a ``membership.changed`` names (None: it could not be read)."""
    raw = data.get("person_ids", [data["person_id"]] if "person_id" in data else None)
    if not isinstance(raw, list):
        return None
    try:
        return [int(value) for value in raw]
    except (TypeError, ValueError):
        return None


class ReadableSpaces:
    """The memberships of the people streaming, with the bookkeeping that keeps them true;
    ``read`` reads the memberships of a list of people (see the module)."""

    def __init__(self, read: Callable[[list[int]], Awaitable[Mapping[int, Memberships]]]) -> None:
        self.catalogue = Catalogue()
        self._memberships = Gather(read, name="atoll-memberships")
        self._kept: dict[int, Kept] = {}
        self._loading: dict[int, asyncio.Future[Readable]] = {}
        self._viewers: Counter[int] = Counter()
        self._epoch = 0  # counts the changes seen
        self._changed: dict[int, int] = {}  # person id -> epoch of their last change
        self._everybody_changed = 0  # epoch of the last change for everybody

    def watch(self, viewer_id: int) -> None:
        """A stream of this person opened: keep what they may read while they stream."""
        self._viewers[viewer_id] += 1

    def unwatch(self, viewer_id: int) -> None:
        self._viewers[viewer_id] -= 1
        if self._viewers[viewer_id] <= 0:
            del self._viewers[viewer_id]
            self._kept.pop(viewer_id, None)
            self._changed.pop(viewer_id, None)

    def note(self, type: str, person_id: int | None, data: str) -> None:
        """An event the hub is about to put in its window (before it does): its type, its
        person and its data as the log holds them."""
        if type == ACCESS_CHANGED and person_id is not None:
            self.change_for(person_id)
        elif type == MEMBERSHIP_CHANGED:
            people = named_people(decode(data))
            if people is None:
                self.change_for_everybody()
            else:
                self.change_for(*people)

    def change_for(self, *people: int) -> None:
        self._epoch += 1
        for person_id in people:
            if person_id not in self._viewers:
                continue
            self._kept.pop(person_id, None)
            self._changed[person_id] = self._epoch
            self._loading.pop(person_id, None)

    def change_for_everybody(self) -> None:
        self._epoch += 1
        self._everybody_changed = self._epoch
        self._kept.clear()
        self._changed.clear()
        self._loading.clear()

    def expire(self, viewer: Person, *, older_than: float) -> None:
        """The heartbeat's safety net: forget the viewer's memberships, and mark the catalogue
        to be read again, if read more than ``older_than`` seconds ago. The next event that
        needs them reads them again (for all the streams it wakes at once), and an idle stream
        keeps nothing."""
        now = asyncio.get_running_loop().time()
        if now - self.catalogue.loaded_at > older_than:
            self.catalogue.stale = True
        kept = self._kept.get(viewer.id)
        if kept is not None and now - kept.loaded_at > older_than:
            del self._kept[viewer.id]

    def kept(self, viewer: Person) -> Readable | None:
        """What ``viewer`` may read if it is kept (nothing to await)."""
        kept = self._kept.get(viewer.id)
        return kept.readable if kept is not None else None

    async def readable(self, viewer: Person) -> Readable:
        """What ``viewer`` may read — kept, or read now, once for everybody who asks meanwhile.
        Ask only after taking the events to filter (see the module)."""
        kept = self.kept(viewer)
        if kept is not None:
            return kept
        pending = self._loading.get(viewer.id)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        epoch = self._epoch
        future: asyncio.Future[Readable] = loop.create_future()
        self._loading[viewer.id] = future
        try:
            own = await self._memberships.get(viewer.id)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters get it
            raise
        finally:
            if self._loading.get(viewer.id) is future:
                del self._loading[viewer.id]
        readable = Readable(self.catalogue, own or NO_MEMBERSHIPS)
        future.set_result(readable)
        self._keep(viewer.id, readable, epoch, loop.time())
        return readable

    def _keep(self, viewer_id: int, readable: Readable, epoch: int, at: float) -> None:
        """Keep what was read unless a change of this person's (or everybody's) came through
        since ``epoch``, when the read began: then it serves those who waited for it only."""
        changed = max(self._changed.get(viewer_id, 0), self._everybody_changed)
        if changed <= epoch and viewer_id in self._viewers:
            self._kept[viewer_id] = Kept(readable, at)
