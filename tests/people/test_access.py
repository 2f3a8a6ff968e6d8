"""Access follows a person's kind, by the API (the page and the import have their own tests
with the same checks, in test_pages.py and tests/org/test_import.py)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import auth_headers, make_person
from tests.people.helpers import (
    access_of,
    assert_lost_internal_access,
    build_world,
    events_after,
    newest_event,
)

EXTERNAL = {"kind": "external", "organization": "Ana Consulting", "relation": "partner"}


async def test_a_member_made_external_by_the_api_keeps_only_what_an_external_may(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    world = await build_world(db)
    admin_h = await auth_headers(client, world.admin)
    ana_h = await auth_headers(client, world.ana)
    since = await newest_event(db)

    r = await client.patch(f"/api/v1/people/{world.ana.id}", json=EXTERNAL, headers=admin_h)
    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["role"], r.json()["is_analyst"]) == (
        "external",
        "guest",
        False,
    )
    await assert_lost_internal_access(db, world, since)

    # What she sees now, with the token she had: her hybrid space and the public one.
    for name in ("Leadership Circle", "Python Guild", "Sales team", "Ana's corner"):
        sid = world.id_of(name)
        assert (await client.get(f"/api/v1/spaces/{sid}/posts", headers=ana_h)).status_code == 404
        post = await client.post(
            f"/api/v1/spaces/{sid}/posts", json={"body": "Still here?"}, headers=ana_h
        )
        assert post.status_code == 404, name
    acme = world.id_of("Acme project")
    assert (await client.get(f"/api/v1/spaces/{acme}/posts", headers=ana_h)).status_code == 200
    analytics = await client.get("/api/v1/analytics/value-matrix", headers=ana_h)
    assert analytics.status_code == 403
    assert (await client.get("/api/v1/units", headers=ana_h)).status_code == 403

    # The spaces she left keep working: the circle's new owner manages it, and an
    # administrator manages her corner, which has no owner left.
    ben_h = await auth_headers(client, world.ben)
    circle = world.id_of("Leadership Circle")
    r = await client.post(
        f"/api/v1/spaces/{circle}/members",
        json={"person_id": str(world.dora.id), "role": "moderator"},
        headers=ben_h,
    )
    assert r.status_code == 201, r.text
    corner = world.id_of("Ana's corner")
    r = await client.post(
        f"/api/v1/spaces/{corner}/members",
        json={"person_id": str(world.cy.id), "role": "owner"},
        headers=admin_h,
    )
    assert r.status_code == 201 and r.json()["role"] == "owner"


async def test_an_external_made_a_member_joins_their_units_spaces(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    world = await build_world(db)
    admin_h = await auth_headers(client, world.admin)
    since = await newest_event(db)
    r = await client.patch(
        f"/api/v1/people/{world.marta.id}",
        json={"kind": "member", "unit_id": str(world.sales_id), "organization": None},
        headers=admin_h,
    )
    assert r.status_code == 200, r.text
    marta = await access_of(db, world.marta.id)
    assert (marta.kind, marta.role, marta.unit_id) == ("member", "member", world.sales_id)
    assert marta.memberships == {"Acme project": "member", "Sales team": "member"}
    events = await events_after(db, since)
    assert ("access.changed", None, world.marta.id, {"reason": "kind"}) in events
    team = world.id_of("Sales team")
    assert (
        "membership.changed",
        team,
        None,
        {"person_ids": [str(world.marta.id)], "role": "member"},
    ) in events
    # Open spaces are hers to read now.
    marta_h = await auth_headers(client, world.marta)
    guild = world.id_of("Python Guild")
    assert (await client.get(f"/api/v1/spaces/{guild}/posts", headers=marta_h)).status_code == 200


async def test_a_change_of_role_or_analyst_is_told_to_the_persons_streams(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ben = await make_person(db, name="Ben")
    admin_h = await auth_headers(client, admin)
    ben_id = ben.id

    async def change(body: dict[str, object]) -> list[tuple[str, int | None, dict[str, object]]]:
        since = await newest_event(db)
        r = await client.patch(f"/api/v1/people/{ben_id}", json=body, headers=admin_h)
        assert r.status_code == 200, r.text
        await db.rollback()
        return [(t, p, d) for t, _, p, d in await events_after(db, since)]

    assert await change({"role": "admin"}) == [("access.changed", ben_id, {"reason": "role"})]
    assert await change({"role": "member"}) == [("access.changed", ben_id, {"reason": "role"})]
    assert await change({"is_analyst": True}) == [("access.changed", ben_id, {"reason": "role"})]
    assert await change({"is_analyst": True}) == []  # nothing changed, nothing to tell
    assert await change({"title": "Engineer"}) == []


async def test_the_last_administrator_cannot_become_external(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    h = await auth_headers(client, admin)
    r = await client.patch(f"/api/v1/people/{admin.id}", json=EXTERNAL, headers=h)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "last administrator" in r.json()["detail"]
    after = await access_of(db, admin.id)
    assert (after.kind, after.role) == ("member", "admin")
