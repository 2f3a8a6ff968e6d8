"""Activity days: the first request of a signed-in person each day writes one row, for the
day of the organisation's time zone; adoption maps acts to that zone's days too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import activity
from atoll.analytics.adoption import adoption
from atoll.analytics.adoption_store import do_fill_adoption
from atoll.analytics.models import ActivityDay
from atoll.app import create_app
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from tests.analytics.helpers import act
from tests.analytics.test_adoption import group
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


async def test_the_activity_day_is_the_day_of_the_organisations_zone(
    app, db: AsyncSession, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    berlin = create_app(settings.model_copy(update={"timezone": "Europe/Berlin"}))
    late = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # Monday 9 March, 00:30 in Berlin
    ana, ben = await make_person(db), await make_person(db)
    ana_id, ben_id = ana.id, ben.id
    activity.forget(app)
    await activity.note(berlin, db, ana_id, now=late)
    await activity.note(app, db, ben_id, now=late)  # the suite's organisation is in UTC
    await db.commit()
    assert sorted(await _days(db)) == [(ana_id, date(2026, 3, 9)), (ben_id, date(2026, 3, 8))]


async def test_adoption_counts_an_act_at_half_past_eleven_utc_on_berlins_next_day(
    db: AsyncSession, settings: Settings
) -> None:
    sunday = await group(db, "s")  # comment at 23:30 UTC on Sunday 8 March: Monday in Berlin
    last = await group(db, "l")  # post at 23:30 UTC on 31 March: 1 April in Berlin
    for i, person in enumerate(sunday):
        await act(db, person, sunday[(i + 1) % 5], datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    for person in last:
        await act(db, person, None, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), kind="post")
    march = {"start": datetime(2026, 3, 1, tzinfo=UTC), "end": datetime(2026, 4, 1, tzinfo=UTC)}
    utc = await adoption(db, settings=settings, **march)
    assert utc["active"] == 10
    assert [(w["period"], w["active"]) for w in utc["weekly"]][1:3] == [
        ("2026-W10", 5),
        ("2026-W11", 0),
    ]
    berlin = settings.model_copy(update={"timezone": "Europe/Berlin"})
    zone = ZoneInfo("Europe/Berlin")
    for counted in (False, True):
        if counted:  # the same from the roll-ups housekeeping keeps
            await do_fill_adoption(db, zone=zone, now=datetime(2026, 5, 1, tzinfo=UTC))
            await db.commit()
        data = await adoption(  # Berlin's March: from 23:00 UTC
            db,
            start=datetime(2026, 3, 1, tzinfo=zone),
            end=datetime(2026, 4, 1, tzinfo=zone),
            settings=berlin,
        )
        assert (data["from"], data["to"]) == ("2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z")
        assert data["active"] == 5  # the 31 March posts were made on 1 April in Berlin
        weeks = [(w["period"], w["start"], w["active"]) for w in data["weekly"]]
        assert weeks[1:3] == [
            ("2026-W10", "2026-03-01T23:00:00Z", 0),
            ("2026-W11", "2026-03-08T23:00:00Z", 5),
        ]
        april = await adoption(
            db,
            start=datetime(2026, 4, 1, tzinfo=zone),
            end=datetime(2026, 5, 1, tzinfo=zone),
            settings=berlin,
        )
        assert [(m["period"], m["active"]) for m in april["monthly"]] == [("2026-04", 5)]
