"""What the value matrix keeps out of the grid (posts, the scopes apart) and what the privacy
floor withholds: figures of 1 to 4 people, counts of people included, in the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.matrix import value_matrix
from atoll.kit.settings import Settings
from tests.analytics.helpers import act, org, people
from tests.factories import auth_headers, make_person

API = "/api/v1/analytics/value-matrix"
MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 1, tzinfo=UTC)


async def test_posts_and_the_scopes_apart_stay_out_of_the_grid(
    db: AsyncSession, settings: Settings
) -> None:
    units = await org(db)
    p = await people(db, units)
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    pairs = [("ana", "bea"), ("bea", "cid"), ("cid", "dan"), ("dan", "eli"), ("eli", "ana")]
    for n, (actor, target) in enumerate(pairs):
        await act(db, p[actor], p[target], at + timedelta(hours=n))
    await act(db, p["ana"], None, at + timedelta(hours=6), kind="post")  # activity
    guests = [p["xan"]] + [
        await make_person(db, name=f"x{n}", kind="external", organization="Globex")
        for n in range(4)
    ]
    for n, guest in enumerate(guests):  # five externals among themselves
        await act(db, guest, guests[(n + 1) % 5], at + timedelta(hours=7 + n))
    fay = await make_person(db, name="fay", unit_id=units["sales"].id)  # above the silo level
    await act(db, fay, p["ana"], at + timedelta(hours=12))
    await act(db, p["bea"], fay, at + timedelta(hours=13))

    data = await value_matrix(
        db, start=MARCH, end=APRIL, unit_id=None, period="month", settings=settings, now=LATER
    )
    assert (data["total"], data["people"]) == (5, 5)
    assert sum(c["share"] for c in data["cells"]) == 1.0
    assert data["apart"] == {
        "externals": {"interactions": 5, "people": 5},
        "no_silo": {"interactions": None, "people": None},  # fay, ana and bea: withheld
    }
    # With a unit filter, the people apart are the unit's: Sales holds fay, ana and bea.
    sales = await value_matrix(
        db,
        start=MARCH,
        end=APRIL,
        unit_id=units["sales"].id,
        period="month",
        settings=settings,
        now=LATER,
    )
    assert sales["apart"] == {
        "externals": {"interactions": 0, "people": 0},
        "no_silo": {"interactions": None, "people": None},
    }
    # ana, bea, cid and dan in the grid (never eli, their counterpart in Platform): hidden.
    assert (sales["people"], sales["total"], sales["suppressed"]) == (None, None, True)


async def test_two_ranges_a_millisecond_apart_answer_the_same(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Without whole days, the second range would miss the row at 10:00:00.0005 that the
    first holds, and the difference would tell that one interaction."""
    units = await org(db)
    p = await people(db, units)
    at = datetime(2026, 3, 10, 10, tzinfo=UTC)
    pairs = [("ana", "bea"), ("bea", "cid"), ("cid", "dan"), ("dan", "eli"), ("eli", "ana")]
    for n, (actor, target) in enumerate(pairs):
        await act(db, p[actor], p[target], at + timedelta(hours=n + 1))
    await act(db, p["xan"], p["cid"], at + timedelta(microseconds=500))
    headers = await auth_headers(client, await make_person(db, role="admin"))
    answers = []
    for start, end in [
        ("2026-03-10T10:00:00Z", "2026-03-12T10:00:00Z"),
        ("2026-03-10T10:00:00.001Z", "2026-03-12T10:00:00.001Z"),
    ]:
        for period in ("month", "week"):
            r = await client.get(
                API, params={"from": start, "to": end, "period": period}, headers=headers
            )
            assert r.status_code == 200, r.text
            answers.append(r.json())
    assert answers[0] == answers[2] and answers[1] == answers[3]
    assert answers[0]["total"] == 6 and answers[0]["from"] == "2026-03-10T00:00:00Z"


async def test_the_api_names_the_zone_and_marks_periods(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers = await auth_headers(client, await make_person(db, role="admin"))
    r = await client.get(
        API, params={"from": "2026-03-04", "to": "2026-03-15", "period": "week"}, headers=headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == "UTC" and body["people"] == 0 and body["total"] == 0
    assert body["apart"] == {
        "externals": {"interactions": 0, "people": 0},
        "no_silo": {"interactions": 0, "people": 0},
    }
    assert [(w["period"], w["partial"], w["rolling_stage"]) for w in body["journey"]] == [
        ("2026-W10", True, None),  # the range starts on Wednesday
        ("2026-W11", False, None),
    ]
