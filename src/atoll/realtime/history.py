"""What a stream reads from the log itself: where it resumes, and its own query while it is
behind the hub's window (a client resuming from an old id).

The query (``EventQuery``) reads at most ``BATCH`` visible events among the next ``WINDOW`` ids,
so every query reads a bounded stretch of the primary key, with the spaces policy's SQL
clause. It reads the newest id in the log in the same statement and, when the batch is not
full, moves the position up to it (or to the end of the stretch): safely, because ids commit
in id order (see ``atoll.events.outbox``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from atoll.events.models import Event
from atoll.people.models import Person
from atoll.spaces import policy

BATCH = 200  # events per query at most
WINDOW = 5000  # ids per query at most


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
