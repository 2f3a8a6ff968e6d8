"""The people API: tokens, me, the directory, profiles, and who may change what."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import AuthSession, Person
from tests.factories import PASSWORD, auth_headers, make_person, make_unit, token_for


async def test_token_me_and_logout(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Silva", title="Engineer", skills=["Python", "SQL"])
    token = await token_for(client, ana)
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == str(ana.id) and body["name"] == "Ana Silva"
    assert body["kind"] == "member" and body["role"] == "member"
    assert sorted(body["skills"]) == ["Python", "SQL"]
    assert "password_hash" not in body
    stored = (await db.execute(select(AuthSession.token_hash))).scalar_one()
    assert token not in stored  # only a digest is kept
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    again = await client.get("/api/v1/me", headers=headers)
    assert again.status_code == 401
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_unknown_email_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    wrong = await client.post(
        "/api/v1/auth/token", json={"email": ana.email, "password": "not the password"}
    )
    unknown = await client.post(
        "/api/v1/auth/token", json={"email": "nobody@example.com", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_failed_sign_ins_are_rate_limited_per_account(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    for _ in range(5):
        r = await client.post(
            "/api/v1/auth/token", json={"email": ana.email, "password": "wrong-one"}
        )
        assert r.status_code == 401
    limited = await client.post(
        "/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["status"] == 429
    other = await make_person(db)
    assert (
        await client.post("/api/v1/auth/token", json={"email": other.email, "password": PASSWORD})
    ).status_code == 200


async def test_failed_sign_ins_are_rate_limited_per_address(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for i in range(20):
        r = await client.post(
            "/api/v1/auth/token", json={"email": f"guess{i}@example.com", "password": "wrong-one"}
        )
        assert r.status_code == 401
    ana = await make_person(db)
    r = await client.post("/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD})
    assert r.status_code == 429


async def test_successful_sign_in_resets_the_account_counter(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    for _ in range(4):
        await client.post("/api/v1/auth/token", json={"email": ana.email, "password": "wrong-one"})
    await token_for(client, ana)
    for _ in range(4):
        r = await client.post(
            "/api/v1/auth/token", json={"email": ana.email, "password": "wrong-one"}
        )
        assert r.status_code == 401


async def test_directory_search_by_name_skill_and_unit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", parent=sales)
    eng = await make_unit(db, "Engineering")
    viewer = await make_person(db, name="Viewer", unit_id=eng.id)
    await make_person(db, name="Bea Field", unit_id=emea.id, skills=["Negotiation"])
    await make_person(db, name="Carl Code", unit_id=eng.id, skills=["Python"])
    headers = await auth_headers(client, viewer)

    async def names(**params: str) -> list[str]:
        r = await client.get("/api/v1/people", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [p["name"] for p in r.json()["items"]]

    assert await names(q="bea") == ["Bea Field"]
    assert await names(q="pyth") == ["Carl Code"]
    assert await names(skill="negotiation") == ["Bea Field"]
    assert await names(unit_id=str(sales.id)) == ["Bea Field"]  # sub-units included
    assert await names() == ["Bea Field", "Carl Code", "Viewer"]


async def test_directory_pages_with_cursor(client: httpx.AsyncClient, db: AsyncSession) -> None:
    viewer = await make_person(db, name="AAA Viewer")
    for i in range(7):
        await make_person(db, name=f"Member {i}")
    headers = await auth_headers(client, viewer)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/people", params=params, headers=headers)).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["AAA Viewer"] + [f"Member {i}" for i in range(7)]
    bad = await client.get("/api/v1/people", params={"cursor": "nonsense!"}, headers=headers)
    assert bad.status_code == 422


async def test_externals_see_only_themselves(client: httpx.AsyncClient, db: AsyncSession) -> None:
    member = await make_person(db)
    guest = await make_person(db, kind="external", organization="Acme Corp", relation="customer")
    headers = await auth_headers(client, guest)
    items = (await client.get("/api/v1/people", headers=headers)).json()["items"]
    assert [p["id"] for p in items] == [str(guest.id)]
    hidden = await client.get(f"/api/v1/people/{member.id}", headers=headers)
    assert hidden.status_code == 404
    missing = await client.get("/api/v1/people/999999", headers=headers)
    assert hidden.json()["detail"] == missing.json()["detail"]
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["kind"] == "external" and me["role"] == "guest"
    assert me["organization"] == "Acme Corp" and me["relation"] == "customer"
    assert (await client.get("/api/v1/units", headers=headers)).status_code == 403


async def test_only_admins_create_people(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, role="admin")
    member = await make_person(db)
    body = {"name": "New Person", "email": "New@Example.com", "kind": "member"}
    r = await client.post("/api/v1/people", json=body, headers=await auth_headers(client, member))
    assert r.status_code == 403
    r = await client.post("/api/v1/people", json=body, headers=await auth_headers(client, admin))
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "new@example.com"
    dup = await client.post("/api/v1/people", json=body, headers=await auth_headers(client, admin))
    assert dup.status_code == 409
    ext = await client.post(
        "/api/v1/people",
        json={"name": "Guest", "email": "g@acme.example", "kind": "external"},
        headers=await auth_headers(client, admin),
    )
    assert ext.status_code == 422
    assert ext.json()["errors"][0]["field"] == "organization"


async def test_invalid_input_is_a_clear_problem(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    r = await client.post(
        "/api/v1/people",
        json={"name": "", "email": "not-an-email"},
        headers=await auth_headers(client, admin),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"name", "email"} <= fields
    r = await client.post(
        "/api/v1/people",
        content=b"{not json",
        headers={**await auth_headers(client, admin), "content-type": "application/json"},
    )
    assert r.status_code == 422


async def test_profile_edits_self_and_admin(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    ben = await make_person(db)
    admin = await make_person(db, role="admin")
    ana_h = await auth_headers(client, ana)
    r = await client.patch(
        f"/api/v1/people/{ana.id}",
        json={"title": "Designer", "skills": ["UX", "ux", "Figma"]},
        headers=ana_h,
    )
    assert r.status_code == 200
    assert r.json()["title"] == "Designer" and sorted(r.json()["skills"]) == ["Figma", "UX"]
    assert (
        await client.patch(f"/api/v1/people/{ben.id}", json={"title": "x"}, headers=ana_h)
    ).status_code == 403
    assert (
        await client.patch(f"/api/v1/people/{ana.id}", json={"role": "admin"}, headers=ana_h)
    ).status_code == 403
    admin_h = await auth_headers(client, admin)
    r = await client.patch(f"/api/v1/people/{ana.id}", json={"role": "admin"}, headers=admin_h)
    assert r.status_code == 200 and r.json()["role"] == "admin"


async def test_an_admin_makes_a_member_a_platform_moderator_but_never_an_external(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ana = await make_person(db)
    guest = await make_person(
        db, kind="external", role="guest", organization="Acme", relation="customer"
    )
    as_admin = await auth_headers(client, admin)
    r = await client.patch(f"/api/v1/people/{ana.id}", json={"role": "moderator"}, headers=as_admin)
    assert r.status_code == 200 and r.json()["role"] == "moderator"
    # a moderator is not an administrator: the admin API stays closed to them
    as_ana = await auth_headers(client, ana)
    r = await client.patch(f"/api/v1/people/{guest.id}", json={"title": "x"}, headers=as_ana)
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/people/{guest.id}", json={"role": "moderator"}, headers=as_admin
    )
    assert r.status_code == 422 and "guest" in r.text


async def test_password_reset_by_admin_signs_the_person_out(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    admin = await make_person(db, role="admin")
    ana_h = await auth_headers(client, ana)
    r = await client.patch(
        f"/api/v1/people/{ana.id}",
        json={"password": "a brand new secret"},
        headers=await auth_headers(client, admin),
    )
    assert r.status_code == 200
    assert (await client.get("/api/v1/me", headers=ana_h)).status_code == 401
    assert await token_for(client, ana, "a brand new secret")


async def test_last_admin_cannot_step_down(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, role="admin")
    h = await auth_headers(client, admin)
    r = await client.patch(f"/api/v1/people/{admin.id}", json={"role": "member"}, headers=h)
    assert r.status_code == 409
    person = await db.get(Person, admin.id)
    await db.refresh(person)
    assert person is not None and person.role == "admin"


async def test_deactivated_people_cannot_sign_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    ana = await make_person(db)
    ana_h = await auth_headers(client, ana)
    r = await client.patch(
        f"/api/v1/people/{ana.id}",
        json={"is_active": False},
        headers=await auth_headers(client, admin),
    )
    assert r.status_code == 200
    assert (await client.get("/api/v1/me", headers=ana_h)).status_code == 401
    r = await client.post("/api/v1/auth/token", json={"email": ana.email, "password": PASSWORD})
    assert r.status_code == 401


async def test_list_and_revoke_my_sessions(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    ben = await make_person(db)
    first = {"Authorization": f"Bearer {await token_for(client, ana)}"}
    second = {"Authorization": f"Bearer {await token_for(client, ana)}"}
    ben_h = await auth_headers(client, ben)
    listed = (await client.get("/api/v1/me/sessions", headers=first)).json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert (
        await client.delete(f"/api/v1/me/sessions/{other['id']}", headers=ben_h)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/me/sessions/{other['id']}", headers=first)
    ).status_code == 204
    assert (await client.get("/api/v1/me", headers=second)).status_code == 401
    assert (await client.get("/api/v1/me", headers=first)).status_code == 200


async def test_guests_see_names_titles_and_organisations_not_the_org_chart(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    sales = await make_unit(db, "Sales")
    ana = await make_person(db, name="Ana Silva", title="Account lead", unit_id=sales.id)
    admin = await make_person(db, name="Ada Admin", role="admin", unit_id=sales.id)
    marta = await make_person(db, name="Marta Kühn", kind="external", organization="Acme Corp")
    ana_h = await auth_headers(client, ana)
    space = await client.post(
        "/api/v1/spaces",
        json={"name": "Acme project", "kind": "hybrid", "visibility": "private"},
        headers=ana_h,
    )
    for person in (marta, admin):
        r = await client.post(
            f"/api/v1/spaces/{space.json()['id']}/members",
            json={"person_id": str(person.id)},
            headers=ana_h,
        )
        assert r.status_code == 201, r.text
    guest_h = await auth_headers(client, marta)

    listed = (await client.get("/api/v1/people", headers=guest_h)).json()["items"]
    by_name = {p["name"]: p for p in listed}
    assert set(by_name) == {"Ada Admin", "Ana Silva", "Marta Kühn"}
    for name in ("Ada Admin", "Ana Silva"):
        assert by_name[name]["role"] is None and by_name[name]["unit_id"] is None
        assert by_name[name]["kind"] == "member"
    assert by_name["Ana Silva"]["title"] == "Account lead"
    assert (by_name["Marta Kühn"]["role"], by_name["Marta Kühn"]["organization"]) == (
        "guest",
        "Acme Corp",
    )
    one = (await client.get(f"/api/v1/people/{admin.id}", headers=guest_h)).json()
    assert "role" in one and one["role"] is None and one["unit_id"] is None
    by_unit = await client.get("/api/v1/people", params={"unit_id": sales.id}, headers=guest_h)
    assert by_unit.status_code == 403
    assert by_unit.headers["content-type"].startswith("application/problem+json")

    # Members see the chart as before.
    seen = (await client.get(f"/api/v1/people/{admin.id}", headers=ana_h)).json()
    assert (seen["role"], seen["unit_id"]) == ("admin", str(sales.id))
    by_unit = await client.get("/api/v1/people", params={"unit_id": sales.id}, headers=ana_h)
    assert [p["name"] for p in by_unit.json()["items"]] == ["Ada Admin", "Ana Silva"]


async def test_names_titles_organisations_and_skills_lose_invisible_controls(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A right-to-left override or a zero-width space in a name would let it pass for another."""
    admin = await make_person(db, role="admin")
    headers = await auth_headers(client, admin)
    made = await client.post(
        "/api/v1/people",
        json={
            "name": "Ana\u202e Silva\u200b",
            "email": "ana.rlo@example.com",
            "title": "\u2067Head\u2069 of IT",
            "kind": "external",
            "organization": "Acme\u200f Corp",
            "relation": "customer",
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    ana = made.json()
    assert (ana["name"], ana["title"], ana["organization"]) == (
        "Ana Silva",
        "Head of IT",
        "Acme Corp",
    )
    changed = await client.patch(
        f"/api/v1/people/{ana['id']}",
        json={"name": "Ana\ufeff S.", "title": "Boss\u202d", "skills": ["SQL\u2066"]},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["title"]) == ("Ana S.", "Boss")
    assert changed.json()["skills"] == ["SQL"]
    empty = await client.patch(
        f"/api/v1/people/{ana['id']}", json={"name": "\u202e\u200b"}, headers=headers
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "name"
