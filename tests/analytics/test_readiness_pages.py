"""The analytics page's "Ready to go outward" and "Champions" sections, their CSV, the
thresholds form (administrators only) and the profile's "I'm happy to coach others"."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.readiness_thresholds import thresholds
from tests.analytics.readiness_helpers import world
from tests.analytics.test_readiness import _history
from tests.factories import make_person
from tests.web.helpers import csrf_of, sign_in

PAGE = "/analytics?from=2026-02-01&to=2026-03-06"


async def test_the_page_shows_each_unit_against_the_thresholds(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await _history(db, w)
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Ready to go outward" in text and "over the 90 days up to 2026-03-06" in text
    emea = text.split(f'data-unit="{w.units["emea"].id}"')[1].split("</tr>")[0]  # type: ignore[attr-defined]
    assert "100 %" in emea and "Ready" in emea
    assert "Open a hybrid space with Acme Corp" in emea
    platform = text.split(f'data-unit="{w.units["platform"].id}"')[1].split("</tr>")[0]  # type: ignore[attr-defined]
    assert "hidden — fewer than 5 members" in platform
    assert "Change the thresholds" in text
    assert 'data-kind="ready_outward"' in text  # in what to do next
    assert "Champions" in text
    csv = await client.get("/analytics/readiness.csv?from=2026-02-01&to=2026-03-06")
    assert csv.status_code == 200 and "EMEA" in csv.text
    assert (await client.get("/analytics/champions.csv")).status_code == 200


async def test_an_admin_changes_a_threshold_and_mistakes_are_explained(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await _history(db, w)
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    page = await client.get(PAGE)
    form = {
        "csrf_token": csrf_of(page.text),
        "active_share": "60",
        "across_share": "150",
        "answer_rate": "70",
        "first_answer_hours": "48",
        "from": "2026-02-01",
        "to": "2026-03-06",
    }
    r = await client.post("/analytics/readiness/thresholds", data=form)
    assert r.status_code == 422
    assert "a percentage from 0 to 100" in r.text
    r = await client.post("/analytics/readiness/thresholds", data=form | {"across_share": "50"})
    assert r.status_code == 303
    assert r.headers["location"].endswith("#readiness") and "to=2026-03-06" in r.headers["location"]
    await db.rollback()
    assert (await thresholds(db)).across_share == 0.5
    page = await client.get(PAGE)
    emea = page.text.split(f'data-unit="{w.units["emea"].id}"')[1].split("</tr>")[0]  # type: ignore[attr-defined]
    assert "Not yet" in emea


async def test_analysts_see_the_section_but_cannot_change_the_thresholds(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await world(db)
    analyst = await make_person(db)
    analyst.is_analyst = True
    await db.commit()
    await sign_in(client, analyst.email)
    page = await client.get(PAGE)
    assert "Ready to go outward" in page.text and "Change the thresholds" not in page.text
    form = {"csrf_token": csrf_of(page.text), "active_share": "10", "across_share": "10"}
    r = await client.post("/analytics/readiness/thresholds", data=form)
    assert r.status_code == 403


async def test_a_member_opts_in_to_coach_on_their_profile(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await make_person(db)
    await sign_in(client, member.email)
    page = await client.get(f"/people/{member.id}/edit")
    assert "I&#39;m happy to coach others" in page.text or "I'm happy to coach others" in page.text
    form = {"csrf_token": csrf_of(page.text), "name": member.name, "coach_opt_in": "yes"}
    r = await client.post(f"/people/{member.id}/edit", data=form)
    assert r.status_code == 303
    await db.refresh(member)
    assert member.coach_opt_in is True
    r = await client.post(f"/people/{member.id}/edit", data=form | {"coach_opt_in": ""})
    await db.refresh(member)
    assert member.coach_opt_in is False


async def test_the_sections_are_drawn_again_for_other_filters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await _history(db, w)
    member = await make_person(db)
    await sign_in(client, member.email)
    assert (await client.get("/analytics/sections")).status_code == 403
    client.cookies.clear()
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    part = await client.get("/analytics/sections?from=2026-02-01&to=2026-03-06")
    assert part.status_code == 200
    assert part.text.lstrip().startswith("{#-") is False and 'id="analytics-sections"' in part.text
    assert "over the 90 days up to 2026-03-06" in part.text and "Champions" in part.text
    assert "<nav" not in part.text  # a fragment, without the page's chrome
    bad = await client.get("/analytics/sections?from=2026-03-06&to=2026-02-01")
    assert bad.status_code == 422
