"""The analyst permission: administrators grant and revoke it (page and API); it opens
Analytics to a member who is no administrator."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

MATRIX = "/api/v1/analytics/value-matrix"


async def _fresh(db: AsyncSession, person: Person) -> Person:
    person_id = person.id
    await db.rollback()
    row = await db.get(Person, person_id, populate_existing=True)
    assert row is not None
    return row


async def test_admin_grants_and_revokes_it_through_the_api(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ben = await make_person(db, name="Ben")
    a, b = await auth_headers(client, admin), await auth_headers(client, ben)
    assert (await client.get(MATRIX, headers=b)).status_code == 403

    r = await client.patch(f"/api/v1/people/{ben.id}", json={"is_analyst": True}, headers=a)
    assert r.status_code == 200, r.text
    assert r.json()["is_analyst"] is True
    assert (await client.get(MATRIX, headers=b)).status_code == 200
    assert (await client.get("/api/v1/me", headers=b)).json()["is_analyst"] is True

    r = await client.patch(f"/api/v1/people/{ben.id}", json={"is_analyst": False}, headers=a)
    assert r.json()["is_analyst"] is False
    assert (await client.get(MATRIX, headers=b)).status_code == 403
    assert (await _fresh(db, ben)).is_analyst is False


async def test_only_admins_grant_it_and_only_to_members(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ben = await make_person(db, name="Ben")
    cy = await make_person(db, name="Cy")
    guest = await make_person(db, name="Gus", kind="external", role="guest")
    a, b = await auth_headers(client, admin), await auth_headers(client, ben)

    r = await client.patch(f"/api/v1/people/{ben.id}", json={"is_analyst": True}, headers=b)
    assert r.status_code == 403 and "is_analyst" in r.json()["detail"]
    r = await client.patch(f"/api/v1/people/{guest.id}", json={"is_analyst": True}, headers=a)
    assert r.status_code == 422 and "is_analyst" in r.text
    r = await client.patch(f"/api/v1/people/{ben.id}", json={"is_analyst": "yes"}, headers=a)
    assert r.status_code == 422
    assert (await _fresh(db, ben)).is_analyst is False

    # Who is an analyst is for administrators and the person themselves.
    await client.patch(f"/api/v1/people/{cy.id}", json={"is_analyst": True}, headers=a)
    assert (await client.get(f"/api/v1/people/{cy.id}", headers=b)).json()["is_analyst"] is None
    assert (await client.get(f"/api/v1/people/{cy.id}", headers=a)).json()["is_analyst"] is True

    # Becoming an external takes it away.
    r = await client.patch(
        f"/api/v1/people/{cy.id}",
        json={"kind": "external", "role": "guest", "organization": "Acme", "relation": "partner"},
        headers=a,
    )
    assert r.status_code == 200, r.text
    assert r.json()["is_analyst"] is False


async def test_admin_grants_and_revokes_it_on_the_people_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ben = await make_person(db, name="Ben Analyst")
    await sign_in(client, admin.email)
    page = await client.get("/admin/people")
    assert "Let Ben Analyst open analytics" in page.text
    token = csrf_of(page.text)

    r = await client.post(
        f"/admin/people/{ben.id}",
        data={"csrf_token": token, "action": "analyst", "analyst": "yes"},
    )
    assert r.status_code == 303
    assert (await _fresh(db, ben)).is_analyst is True
    page = await client.get("/admin/people")
    assert "Take analytics away from Ben Analyst" in page.text

    r = await client.post(
        f"/admin/people/{ben.id}",
        data={"csrf_token": token, "action": "analyst", "analyst": "no"},
    )
    assert r.status_code == 303
    assert (await _fresh(db, ben)).is_analyst is False
