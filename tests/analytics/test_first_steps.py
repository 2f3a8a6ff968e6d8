"""First steps: each step ticks itself from what the person did (through the API, as a client
would), the checklist can be hidden and shown again, and administrators see per unit how many
people took each step, behind the privacy floor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.first_steps import first_steps_for
from atoll.people.models import Person
from tests.conversations.helpers import add_member, comment, make_post, make_space
from tests.factories import auth_headers, make_person, make_unit

Headers = dict[str, str]


async def _steps(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    r = await client.get("/api/v1/me/first-steps", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _done(answer: dict[str, Any]) -> dict[str, bool]:
    return {step["key"]: step["done"] for step in answer["steps"]}


async def test_each_step_ticks_itself_from_what_the_person_did(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    sales = await make_unit(db, "Sales")
    emea, apac = await make_unit(db, "EMEA", sales), await make_unit(db, "APAC", sales)
    admin = await make_person(db, role="admin", unit_id=emea.id)
    new = await make_person(db, name="Nia New", unit_id=emea.id)
    mate = await make_person(db, name="Mo Mate", unit_id=emea.id)
    far = await make_person(db, name="Fay Far", unit_id=apac.id)
    guest = await make_person(db, name="Gus Guest", kind="external", organization="Acme Corp")
    h = {p.name: await auth_headers(client, p) for p in (admin, new, mate, far, guest)}
    me = h["Nia New"]

    answer = await _steps(client, me)
    assert [s["key"] for s in answer["steps"]] == [
        "profile",
        "team_post",
        "answer",
        "join_community",
        "help_across",
    ]  # in journey order; no hybrid space, no step with customers
    assert not any(_done(answer).values()) and answer["done"] == 0
    assert all(s["title"] and s["href"].startswith("/") for s in answer["steps"])

    r = await client.patch(f"/api/v1/people/{new.id}", json={"title": "Analyst"}, headers=me)
    assert r.status_code == 200, r.text
    assert _done(await _steps(client, me))["profile"] is False  # a title, but no skill yet
    r = await client.patch(f"/api/v1/people/{new.id}", json={"skills": ["SQL"]}, headers=me)
    assert r.status_code == 200, r.text
    team = await make_space(
        client, h[admin.name], name="EMEA team", kind="unit", unit_id=str(emea.id)
    )
    for person in (new, mate):
        await add_member(client, h[admin.name], team["id"], person.id)
    await make_post(client, me, team["id"], "Hello team!")
    asked = await make_post(client, h["Mo Mate"], team["id"], "Who knows SQL?", kind="question")
    assert (await comment(client, me, asked["id"], "I do.")).status_code == 201
    done = _done(await _steps(client, me))
    assert done == {
        "profile": True,
        "team_post": True,
        "answer": True,
        "join_community": False,
        "help_across": False,  # Mo is in the same silo
    }
    team_step = next(s for s in (await _steps(client, me))["steps"] if s["key"] == "team_post")
    assert team_step["href"] == f"/spaces/{team['slug']}"

    guild = await make_space(client, h["Fay Far"], name="Data Guild", kind="community")
    r = await client.post(f"/api/v1/spaces/{guild['id']}/join", headers=me)
    assert r.status_code == 200, r.text
    other = await make_post(client, h["Fay Far"], guild["id"], "Any idea?", kind="question")
    assert (await comment(client, me, other["id"], "Try this.")).status_code == 201
    assert all(_done(await _steps(client, me)).values())

    hybrid = await make_space(client, h[admin.name], name="Acme", kind="hybrid")
    for person in (new, guest):
        await add_member(client, h[admin.name], hybrid["id"], person.id)
    answer = await _steps(client, me)
    assert _done(answer)["reply_external"] is False  # the step appears with the hybrid space
    assert answer["steps"][-1]["href"] == f"/spaces/{hybrid['slug']}"
    from_guest = await make_post(client, h["Gus Guest"], hybrid["id"], "Our order is late")
    assert (await comment(client, me, from_guest["id"], "On it!")).status_code == 201
    answer = await _steps(client, me)
    assert all(_done(answer).values()) and answer["done"] == 6

    # The home page congratulates a new person, and shows nothing to one of long standing.
    assert (await first_steps_for(db, person=new)).shown
    later = new.created_at + timedelta(days=31)
    assert not (await first_steps_for(db, person=new, now=later)).shown


async def test_the_checklist_is_hidden_and_shown_again(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    person = await make_person(db)
    headers = await auth_headers(client, person)
    assert (await _steps(client, headers))["dismissed"] is False
    for _ in range(2):  # hiding twice is hiding
        r = await client.post("/api/v1/me/first-steps/dismiss", headers=headers)
        assert r.status_code == 204
    assert (await _steps(client, headers))["dismissed"] is True
    r = await client.delete("/api/v1/me/first-steps/dismiss", headers=headers)
    assert r.status_code == 204
    assert (await _steps(client, headers))["dismissed"] is False
    assert (await client.get("/api/v1/me/first-steps")).status_code == 401


async def test_externals_have_no_checklist(db: AsyncSession, client: httpx.AsyncClient) -> None:
    guest = await make_person(db, kind="external")
    answer = await _steps(client, await auth_headers(client, guest))
    assert answer["steps"] == [] and answer["done"] == 0


async def _unit_with(db: AsyncSession, name: str, parent: Any, size: int) -> list[Person]:
    unit = await make_unit(db, name, parent)
    return [await make_person(db, unit_id=unit.id, title="") for _ in range(size)]


async def test_administrators_see_steps_per_unit_behind_the_privacy_floor(
    db: AsyncSession, client: httpx.AsyncClient
) -> None:
    eng = await make_unit(db, "Engineering")
    platform = await _unit_with(db, "Platform", eng, 10)
    mobile = await _unit_with(db, "Mobile", eng, 6)
    tiny = await _unit_with(db, "Tiny", eng, 3)
    admin = await make_person(db, role="admin")
    admin_headers = await auth_headers(client, admin)
    for group, how_many in ((platform, 5), (mobile, 5), (tiny, 3)):
        for person in group[:how_many]:
            r = await client.patch(
                f"/api/v1/people/{person.id}",
                json={"title": "Engineer", "skills": ["Go"]},
                headers=await auth_headers(client, person),
            )
            assert r.status_code == 200, r.text

    r = await client.get("/api/v1/analytics/first-steps", headers=admin_headers)
    assert r.status_code == 200, r.text
    units = {u["name"]: u for u in r.json()["units"]}
    assert set(units) == {"Mobile", "Platform", "Tiny"}  # the silo level (2), by name
    assert units["Platform"]["members"] == 10
    assert units["Platform"]["taken"]["profile"] == 5  # and 5 did not
    assert units["Platform"]["asked"]["profile"] == 10
    assert units["Mobile"]["taken"]["profile"] is None  # 5 of 6: the one who did not shows
    assert units["Mobile"]["taken"]["team_post"] == 0
    assert units["Tiny"]["members"] is None
    assert set(units["Tiny"]["taken"].values()) == {None}

    r = await client.get(
        "/api/v1/analytics/first-steps",
        params={"unit_id": str(eng.id)},
        headers=admin_headers,
    )
    assert {u["name"] for u in r.json()["units"]} == {"Mobile", "Platform", "Tiny"}
    member_headers = await auth_headers(client, platform[0])
    r = await client.get("/api/v1/analytics/first-steps", headers=member_headers)
    assert r.status_code == 403
    r = await client.get(
        "/api/v1/analytics/first-steps", params={"unit_id": "99999999"}, headers=admin_headers
    )
    assert r.status_code == 404
    r = await client.get(
        "/api/v1/analytics/first-steps", params={"unit_id": "x"}, headers=admin_headers
    )
    assert r.status_code == 422
