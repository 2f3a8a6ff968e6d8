"""First steps on the pages: the home page loads the checklist, which links to where each step
is taken; hiding it works with and without htmx; its own page shows it always; the
administrators' table per unit."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_person, make_unit
from tests.web.helpers import csrf_of, sign_in

HTMX = {"HX-Request": "true"}


async def test_the_home_page_loads_the_checklist_and_it_can_be_hidden(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    person = await make_person(db, name="Nia New")
    await sign_in(client, person.email)
    home = await client.get("/")
    assert 'hx-get="/first-steps/panel"' in home.text

    panel = await client.get("/first-steps/panel", headers=HTMX)
    assert panel.status_code == 200
    assert "Your first steps" in panel.text and "0 of 5 done" in panel.text
    assert f'href="/people/{person.id}/edit">Complete your profile</a>' in panel.text
    assert 'href="/discover">Join a community beyond your department</a>' in panel.text

    hidden = await client.post(
        "/first-steps/dismiss", data={"csrf_token": csrf_of(panel.text)}, headers=HTMX
    )
    assert hidden.status_code == 200 and 'href="/first-steps"' in hidden.text
    panel = await client.get("/first-steps/panel", headers=HTMX)
    assert "Your first steps" not in panel.text  # hidden from the home page ...
    page = await client.get("/first-steps")
    assert page.status_code == 200 and "0 of 5 done" in page.text  # ... not from its page
    assert "Show it there again" in page.text

    shown = await client.post("/first-steps/show", data={"csrf_token": csrf_of(page.text)})
    assert shown.status_code == 303 and shown.headers["location"] == "/"
    assert "Your first steps" in (await client.get("/first-steps/panel", headers=HTMX)).text


async def test_hiding_without_a_csrf_token_is_refused(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    person = await make_person(db)
    await sign_in(client, person.email)
    r = await client.post("/first-steps/dismiss", data={})
    assert r.status_code == 403
    assert "Your first steps" in (await client.get("/first-steps/panel", headers=HTMX)).text


async def test_the_table_per_unit_is_for_administrators_and_analysts(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", eng)
    for _ in range(6):
        await make_person(db, unit_id=platform.id)
    member = await make_person(db, unit_id=platform.id)
    await sign_in(client, member.email)
    assert (await client.get("/analytics/first-steps")).status_code == 403

    client.cookies.clear()
    admin = await make_person(db, role="admin")
    await sign_in(client, admin.email)
    page = await client.get("/analytics/first-steps")
    assert page.status_code == 200
    assert '<th scope="row">Platform</th>' in page.text
    assert "<td>7</td>" in page.text  # its members
    bad = await client.get("/analytics/first-steps", params={"unit_id": "nope"})
    assert bad.status_code == 422 and "unit_id" in bad.text
