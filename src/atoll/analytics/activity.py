"""Activity days: the first time a signed-in person is seen on a given day of the
organisation's time zone (``ATOLL_TIMEZONE``), one ``ActivityDay`` row is written in that
request's transaction.

The shell makes ``note_activity`` a dependency of every route, so any signed-in request —
a page or the API — counts. Each process remembers, per person, the last day it wrote (on
``app.state``), so the check costs nothing after the first request of the day; the memory is
updated only once the request's transaction has committed, so a request that fails does not
lose the day. The row is inserted only if absent (``ON CONFLICT DO NOTHING`` on both
databases), so processes that race write it once, and a failure to write it is logged and
never fails the request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from atoll.analytics.models import ActivityDay
from atoll.analytics.periods import local_day
from atoll.http.request import DB
from atoll.kit.time import utcnow

log = logging.getLogger(__name__)
_PENDING = "atoll_activity_day"


def _seen(app: Any) -> dict[int, date]:
    if not hasattr(app.state, "activity_seen"):
        app.state.activity_seen = {}
    return app.state.activity_seen


def forget(app: Any) -> None:
    """Forget which days were written (the next request of each person writes again)."""
    _seen(app).clear()


async def do_record_day(session: AsyncSession, *, person_id: int, day: date) -> None:
    """Insert (person, day) unless it is there already. Does not commit."""
    postgres = (await session.connection()).dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    statement = insert(ActivityDay).values(person_id=person_id, day=day).on_conflict_do_nothing()
    if postgres:  # a failed statement would abort the request's transaction: fence it off
        async with session.begin_nested():
            await session.execute(statement)
    else:
        await session.execute(statement)


def current_day(app: Any, now: datetime | None = None) -> date:
    """The day it is in the organisation's time zone (the app's settings)."""
    return local_day(now or utcnow(), app.state.settings.zone)


async def note(
    app: Any, session: AsyncSession, person_id: int, now: datetime | None = None
) -> None:
    """Record today (``now``'s day; default the clock's) for this person unless this process
    already did."""
    today = current_day(app, now)
    if _seen(app).get(person_id) == today:
        return
    try:
        await do_record_day(session, person_id=person_id, day=today)
    except SQLAlchemyError:
        log.warning("could not record the activity day of person %s", person_id, exc_info=True)
        return
    session.info[_PENDING] = (_seen(app), person_id, today)


async def note_activity(request: Request, db: DB) -> AsyncIterator[None]:
    """The dependency of every route: once the route has answered, today counts for whoever
    it found signed in (a route that asks nobody to sign in counts nobody)."""
    yield
    credential = getattr(request.state, "credential", None)
    if credential is not None:
        await note(request.app, db, credential.person.id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """After the request's commit: remember the day written in it."""
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        seen, person_id, day = pending
        seen[person_id] = day


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
