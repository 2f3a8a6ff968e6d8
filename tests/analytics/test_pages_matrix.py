"""The Analytics page's head and its matrix and journey: the time zone stated, a future range
said in words, partial periods marked, the rolling stage by week, what the grid leaves out."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.app import create_app
from atoll.kit.settings import Settings
from tests.analytics.helpers import act, org
from tests.analytics.test_pages import island
from tests.factories import make_person
from tests.web.helpers import sign_in

FUTURE = "No data yet: this range is in the future."


async def _week_of_work(db: AsyncSession) -> None:
    """Six people of EMEA talk every day of March 2026, one of them with a guest."""
    units = await org(db)
    team = [await make_person(db, name=f"e{k}", unit_id=units["emea"].id) for k in range(6)]
    guest = await make_person(db, name="Gus", kind="external")
    moment = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for n in range(30):
        target = guest if n % 10 == 0 else team[(n + 1) % 6]
        await act(db, team[n % 6], target, moment + timedelta(days=n))


async def test_the_head_states_the_zone_and_the_journey_marks_partial_weeks(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await _week_of_work(db)
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(client, admin.email)
    page = await client.get(
        "/analytics", params={"from": "2026-03-04", "to": "2026-03-29", "period": "week"}
    )
    assert page.status_code == 200
    html = page.text
    assert "Days, weeks and months in UTC." in html
    assert re.search(r'id="analytics-future" role="status" hidden>' + re.escape(FUTURE), html)
    assert '<th scope="col">Stage, last 4 weeks</th>' in html
    # 4 March is a Wednesday: its week is cut by the range, the others are whole.
    partial = re.findall(r'<tr class="partial"><th scope="row">([\dW-]+) <span', html)
    assert partial == ["2026-W10"]
    assert "So far (not over, or cut by the range): 2026-W10." in html
    data = island(html)["matrix"]
    assert [w["partial"] for w in data["journey"]] == [True, False, False, False]
    assert data["timezone"] == "UTC"
    assert "Not in the grid — interactions between externals: 0 (0 people)" in html


async def test_a_future_range_says_so_instead_of_empty_charts(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(client, admin.email)
    page = await client.get("/analytics", params={"from": "2999-01-01", "to": "2999-03-31"})
    assert page.status_code == 200
    assert f'id="analytics-future" role="status" >{FUTURE}' in page.text
    assert re.search(r'<div id="analytics" [^>]*hidden>', page.text)
    data = island(page.text)["matrix"]  # the empty periods are there for the page's script
    assert [(p["period"], p["total"], p["partial"]) for p in data["journey"]] == [
        ("2999-01", 0, True),
        ("2999-02", 0, True),
        ("2999-03", 0, True),
    ]


@pytest.fixture
async def berlin(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The suite's database, served by an app whose organisation is in Berlin."""
    made = create_app(settings.model_copy(update={"timezone": "Europe/Berlin"}))
    async with made.router.lifespan_context(made):
        transport = httpx.ASGITransport(app=made)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_the_page_names_the_organisations_zone(
    berlin: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    await sign_in(berlin, admin.email)
    page = await berlin.get("/analytics", params={"from": "2026-03-01", "to": "2026-03-31"})
    assert page.status_code == 200
    assert "Days, weeks and months in Europe/Berlin." in page.text
    data = island(page.text)["matrix"]
    assert (data["from"], data["to"], data["timezone"]) == (
        "2026-02-28T23:00:00Z",
        "2026-03-31T22:00:00Z",
        "Europe/Berlin",
    )
