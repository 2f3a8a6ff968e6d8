"""Activity days: the first request of a signed-in person each day writes one row."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import activity
from atoll.analytics.models import ActivityDay
from atoll.kit.time import utcnow
from tests.factories import auth_headers, make_person
from tests.web.helpers import sign_in


async def _days(db: AsyncSession) -> list[tuple[int, date]]:
    await db.rollback()
    rows = await db.execute(select(ActivityDay.person_id, ActivityDay.day))
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_the_first_request_of_the_day_is_recorded_once(
    app, client: httpx.AsyncClient, db: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    activity.forget(app)
    ana = await make_person(db)
    ana_id = ana.id
    headers = await auth_headers(client, ana)
    today = utcnow().date()
    assert await _days(db) == []  # signing in for a token is not using Atoll yet

    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert await _days(db) == [(ana_id, today)]

    # Remembered: the next requests write nothing (the row removed here stays removed).
    await db.execute(delete(ActivityDay))
    await db.commit()
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert await _days(db) == []

    # Another process (or a restart) that finds the row there already inserts nothing twice.
    db.add(ActivityDay(person_id=ana_id, day=today))
    await db.commit()
    activity.forget(app)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert await _days(db) == [(ana_id, today)]


async def test_pages_record_it_and_a_failed_request_does_not_lose_the_day(
    app, client: httpx.AsyncClient, db: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    activity.forget(app)
    ben = await make_person(db)
    ben_id = ben.id
    await sign_in(client, ben.email)
    await db.execute(delete(ActivityDay))  # signing in through the form already used Atoll
    await db.commit()
    activity.forget(app)

    # A request that fails rolls its transaction back, the day with it; it is not remembered.
    assert (await client.get("/api/v1/posts/999999")).status_code == 404
    assert await _days(db) == []
    assert (await client.get("/")).status_code == 200
    assert await _days(db) == [(ben_id, utcnow().date())]


async def test_anonymous_requests_record_nothing(
    app, client: httpx.AsyncClient, db: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    activity.forget(app)
    await make_person(db)
    assert (await client.get("/sign-in")).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401
    assert await _days(db) == []
