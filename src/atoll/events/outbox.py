"""Recording events: the transactional outbox, its subscribers, and the announcement after
commit.

``record_event`` is what every use case calls, inside the transaction of its change. Nothing
is announced before that transaction commits, and nothing is ever announced for a transaction
(or a savepoint) that rolls back.

Subscribers: what follows a change, in the same transaction
-----------------------------------------------------------
A session is made by a sessionmaker that the shell wired (``wire``) with the subscribers of
every event type: ``{"post.created": [index_post, notify_mentions, record_post], ...}``.
``record_event`` awaits each subscriber of the type, in order, before it returns, with the
caller's session and a ``Recorded`` (the event's type, data and audience, and ``facts``: what
the change knows and the subscribers need, which is not stored). A subscriber writes its own
rows in the same transaction (and savepoint), so the change and everything that follows from
it commit together or not at all. A subscriber may record events of its own (a notification).
A session made without ``wire`` refuses to record events: a change whose followers were
forgotten would be half-done.

A change that only other domains follow, and no reader of the log needs to hear of (a
person's title, to index again), runs its subscribers with ``run_subscribers`` instead: the
same subscribers, the same transaction, and no row in the log.

How an event reaches the database and the broker
------------------------------------------------
``record_event`` keeps the new row beside the session (``session.info``). When the caller
commits, the session's ``before_commit`` hook flushes the caller's own changes first, then
takes the event-log lock (PostgreSQL only, below), inserts the kept rows and lets the commit
go ahead. After the commit, ``after_commit`` schedules one ``broker.publish`` of the highest
new event id on the running loop (the broker is the one the session was made with; see
``wire``). A rollback drops the kept rows. So the returned ``Event`` has its ``id``
only once the transaction has committed.

Why ids can be trusted as a resume position
--------------------------------------------
Readers (the SSE stream) remember the highest id they have handled and later ask for
``id > last``. That is only sound if an event can never commit *after* a reader has already
seen a higher id. A PostgreSQL sequence does not promise that: transaction A may draw id 10,
transaction B id 11, and B commit first; a reader that saw 11 would never ask for 10.

So on PostgreSQL every transaction that writes events takes one transaction-scoped advisory
lock, ``pg_advisory_xact_lock(EVENT_LOG_LOCK)``, *before* it inserts its events, and holds it
until it commits or rolls back. The ids are drawn inside the lock, so a transaction can only
draw an id after every transaction that drew a lower one has finished; and PostgreSQL makes a
committed transaction visible before it releases its locks. Hence, at any moment, when id N is
visible, every id below N is either visible too or will never exist (rolled back): ids commit
in id order, and resuming from "the highest id seen" skips nothing. The lock is taken as late
as possible — after the caller's own rows are flushed, just before the events are inserted
and the transaction commits — so it serialises only the last instant of event-writing
commits, and a transaction holding it waits for nothing but its own commit (no deadlock).

SQLite allows one writer at a time: the database write lock, held from a transaction's first
write to its commit, already orders ids by commit. Its rowids are "largest + 1"; pruning
always keeps the newest event (see ``do_prune_events``), so ids never go back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from atoll.events.broker import Broker
from atoll.events.models import Event
from atoll.kit.time import utcnow

log = logging.getLogger("atoll.realtime")

# The key of the PostgreSQL advisory lock that orders event-writing commits ("atoll" + "ev").
EVENT_LOG_LOCK = 0x61746F6C6C6576
MAX_TYPE = 40
_TYPE = re.compile(r"[a-z][a-z0-9_.-]*")  # it goes into the stream's `event:` line

_BROKER = "atoll.events.broker"  # session.info: where to announce after commit
_SUBSCRIBERS = "atoll.events.subscribers"  # session.info: event type -> subscribers
_PENDING = "atoll.events.pending"  # session.info: [(savepoint or None, Event)] not written yet
_WRITTEN = "atoll.events.written"  # session.info: ids written by the committing transaction
_publishing: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class Recorded:
    """An event as its subscribers see it: what was stored, and the ``facts`` of the change
    that are not (objects already loaded, what was before)."""

    type: str
    data: dict[str, Any]
    space_id: int | None
    person_id: int | None
    facts: Mapping[str, Any] = field(default_factory=dict)


Subscriber = Callable[[AsyncSession, Recorded], Awaitable[None]]
Subscribers = Mapping[str, Sequence[Subscriber]]


async def record_event(
    session: AsyncSession,
    *,
    type: str,
    data: dict[str, Any],
    space_id: int | None = None,
    person_id: int | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Event:
    """Add an event to the caller's transaction and run its subscribers in it. The event is
    written when that transaction commits and announced on the broker after the commit; a
    rollback drops it, and what its subscribers wrote.

    ``space_id``: the event is for whoever may read that space at delivery time.
    ``person_id``: the event is for that person only (with ``space_id`` too: only while they
    may read the space). Neither: for everyone signed in. ``data`` must be JSON-serialisable;
    keep it small (ids, counts), since clients fetch what they show. ``facts`` reach the
    subscribers only.

    The returned ``Event`` gets its ``id`` when the transaction commits."""
    subscribers = _subscribers_of(session, type)
    sync = session.sync_session
    row = Event(
        type=type,
        data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        space_id=space_id,
        person_id=person_id,
        created_at=utcnow(),
    )
    if not sync.in_transaction():
        sync.begin()  # so that a rollback or close before any query still drops the event
    sync.info.setdefault(_PENDING, []).append((sync.get_nested_transaction(), row))
    recorded = Recorded(type, data, space_id, person_id, facts or {})
    for subscriber in subscribers:
        await subscriber(session, recorded)
    return row


async def run_subscribers(
    session: AsyncSession,
    *,
    type: str,
    data: dict[str, Any] | None = None,
    space_id: int | None = None,
    person_id: int | None = None,
    facts: Mapping[str, Any] | None = None,
) -> None:
    """Run the subscribers of a change that no event stream is told of, in the caller's
    transaction as ``record_event`` does, but write nothing to the event log: a change whose
    followers are other domains only (a person's title to index again, a request to join to
    notify, an import to bring unit spaces in step), which would otherwise hand every reader
    of the log an event it has no use for."""
    recorded = Recorded(type, data or {}, space_id, person_id, facts or {})
    for subscriber in _subscribers_of(session, type):
        await subscriber(session, recorded)


def _subscribers_of(session: AsyncSession, type: str) -> Sequence[Subscriber]:
    if len(type) > MAX_TYPE or not _TYPE.fullmatch(type):
        raise ValueError(f"event type must be 1 to {MAX_TYPE} of a-z 0-9 _ . -: {type!r}")
    subscribers: Subscribers | None = session.sync_session.info.get(_SUBSCRIBERS)
    if subscribers is None:
        raise RuntimeError(
            "this session's sessionmaker was not wired with the event subscribers (outbox.wire)"
        )
    return subscribers.get(type, ())


def wire(
    maker: async_sessionmaker[AsyncSession],
    *,
    subscribers: Subscribers,
    broker: Broker | None = None,
) -> None:
    """Make the sessions of ``maker`` run ``subscribers`` when they record an event, and
    announce their committed events on ``broker``. Sessions without a broker (e.g. a CLI
    command) announce nothing: the streams find those events at their next heartbeat."""
    maker.configure(info={_SUBSCRIBERS: subscribers, _BROKER: broker})


# --- session hooks ------------------------------------------------------------------------


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint is released, not the transaction
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # the caller's own rows first, outside the event-log lock
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOG_LOCK})
    rows = [row for _, row in pending]
    session.add_all(rows)
    session.flush(rows)
    session.info[_WRITTEN] = [row.id for row in rows]


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_WRITTEN, None)
    broker = session.info.get(_BROKER)
    if not ids or broker is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # committed outside an event loop: nobody here to announce to
        return
    task = loop.create_task(_publish(broker, str(max(ids))))
    _publishing.add(task)
    task.add_done_callback(_publishing.discard)


async def _publish(broker: Broker, message: str) -> None:
    try:
        await broker.publish(message)
    except Exception:  # noqa: BLE001 - best effort: the streams poll the log at each heartbeat
        log.warning("could not announce event %s", message, exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rollback drops the events recorded in what it rolled back: everything, or those
    recorded inside the savepoint (and the savepoints within it)."""
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)
        return
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [(sp, row) for sp, row in pending if not _within(sp, previous_transaction)]


def _within(savepoint: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is outer:
            return True
        savepoint = savepoint.parent
    return False


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A session closed without commit or rollback leaves nothing behind for the next one."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)


# --- the log ------------------------------------------------------------------------------


async def do_prune_events(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete the events created before ``older_than`` — always a prefix of the log by id,
    and never the newest event (so SQLite never hands out an id again). Returns how many."""
    cutoff = await session.scalar(select(func.max(Event.id)).where(Event.created_at < older_than))
    newest = await session.scalar(select(func.max(Event.id)))
    if cutoff is None or newest is None:
        return 0
    result = await session.execute(delete(Event).where(Event.id <= min(cutoff, newest - 1)))
    return int(getattr(result, "rowcount", 0) or 0)


async def newest_event_id(session: AsyncSession) -> int:
    """The id of the newest event (0 when there is none): where a page just rendered starts
    its stream."""
    return int(await session.scalar(select(func.max(Event.id))) or 0)


async def log_bounds(db: AsyncSession | AsyncConnection) -> tuple[int | None, int | None]:
    """The oldest and newest event ids still in the log (None, None when it is empty)."""
    oldest, newest = (await db.execute(select(func.min(Event.id), func.max(Event.id)))).one()
    return oldest, newest


def decode(data: str | None) -> dict[str, Any]:
    """An event's data (JSON text) as a dict."""
    with contextlib.suppress(ValueError):
        value = json.loads(data or "{}")
        if isinstance(value, dict):
            return value
    return {}
