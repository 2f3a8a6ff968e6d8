"""Spaces through the API: create, see, join, request, roles, leave, archive, audience."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from tests.factories import auth_headers, make_person, make_unit


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    r = await client.post(
        "/api/v1/spaces", json={"kind": "community", "visibility": "open", **body}, headers=headers
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_community_lifecycle(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana, ben, cleo = [await make_person(db, name=n) for n in ("Ana", "Ben", "Cleo")]
    a, b, c = [await auth_headers(client, p) for p in (ana, ben, cleo)]
    space = await _create(client, a, name="Python Guild", description="All things Python")
    assert (
        space["my_role"] == "owner"
        and space["member_count"] == 1
        and space["slug"] == "python-guild"
    )
    sid = space["id"]
    assert (await client.post(f"/api/v1/spaces/{sid}/join", headers=b)).json() == {
        "status": "joined"
    }
    listed = (await client.get("/api/v1/spaces", params={"q": "guild"}, headers=c)).json()["items"]
    assert [s["name"] for s in listed] == ["Python Guild"] and listed[0]["member_count"] == 2
    # Ben cannot change roles; Ana makes Ben a moderator, then the last owner may not leave.
    r = await client.post(
        f"/api/v1/spaces/{sid}/members",
        json={"person_id": str(cleo.id), "role": "owner"},
        headers=b,
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/spaces/{sid}/members",
        json={"person_id": str(ben.id), "role": "moderator"},
        headers=a,
    )
    assert r.status_code == 201 and r.json()["role"] == "moderator"
    assert (
        await client.delete(f"/api/v1/spaces/{sid}/members/{ana.id}", headers=a)
    ).status_code == 409
    await client.post(
        f"/api/v1/spaces/{sid}/members", json={"person_id": str(ben.id), "role": "owner"}, headers=a
    )
    assert (
        await client.delete(f"/api/v1/spaces/{sid}/members/{ana.id}", headers=a)
    ).status_code == 204
    members = (await client.get(f"/api/v1/spaces/{sid}/members", headers=c)).json()["items"]
    assert [(m["name"], m["role"]) for m in members] == [("Ben", "owner")]
    # archive: read-only afterwards
    assert (await client.post(f"/api/v1/spaces/{sid}/archive", headers=c)).status_code == 403
    archived = await client.post(f"/api/v1/spaces/{sid}/archive", headers=b)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    assert (await client.post(f"/api/v1/spaces/{sid}/join", headers=c)).status_code == 409


async def test_private_space_join_request(client: httpx.AsyncClient, db: AsyncSession) -> None:
    owner = await make_person(db)
    asker = await make_person(db)
    o, q = await auth_headers(client, owner), await auth_headers(client, asker)
    sid = (await _create(client, o, name="Board", visibility="private"))["id"]
    seen = (await client.get(f"/api/v1/spaces/{sid}", headers=q)).json()
    assert seen["my_role"] is None
    assert (await client.get(f"/api/v1/spaces/{sid}/members", headers=q)).status_code == 403
    assert (await client.post(f"/api/v1/spaces/{sid}/join", headers=q)).json() == {
        "status": "requested"
    }
    assert (await client.get(f"/api/v1/spaces/{sid}", headers=q)).json()["pending_request"] is True
    assert (await client.get(f"/api/v1/spaces/{sid}/requests", headers=q)).status_code == 403
    requests = (await client.get(f"/api/v1/spaces/{sid}/requests", headers=o)).json()
    assert [r["person_id"] for r in requests] == [str(asker.id)]
    r = await client.post(f"/api/v1/spaces/{sid}/requests/{requests[0]['id']}/approve", headers=o)
    assert r.status_code == 204
    assert (await client.get(f"/api/v1/spaces/{sid}", headers=q)).json()["my_role"] == "member"
    again = await client.post(
        f"/api/v1/spaces/{sid}/requests/{requests[0]['id']}/decline", headers=o
    )
    assert again.status_code == 409


async def test_secret_spaces_are_404_to_outsiders_and_anonymous_must_sign_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db)
    outsider = await make_person(db)
    o, x = await auth_headers(client, owner), await auth_headers(client, outsider)
    sid = (await _create(client, o, name="Skunkworks", visibility="secret"))["id"]
    for path in ("", "/members", "/audience"):
        assert (await client.get(f"/api/v1/spaces/{sid}{path}", headers=x)).status_code == 404
    assert (await client.post(f"/api/v1/spaces/{sid}/join", headers=x)).status_code == 404
    assert (await client.get("/api/v1/spaces", params={"q": "skunk"}, headers=x)).json()[
        "items"
    ] == []
    assert (await client.get(f"/api/v1/spaces/{sid}")).status_code == 401
    assert (await client.get("/api/v1/spaces/999999")).status_code == 401


async def test_public_spaces_are_readable_signed_out(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    member = await make_person(db)
    a = await auth_headers(client, admin)
    assert (
        await client.post(
            "/api/v1/spaces",
            json={"name": "P", "kind": "public"},
            headers=await auth_headers(client, member),
        )
    ).status_code == 403
    sid = (await _create(client, a, name="Open House", kind="public"))["id"]
    await _create(client, a, name="Internal", kind="community")
    anon = (await client.get("/api/v1/spaces")).json()["items"]
    assert [s["name"] for s in anon] == ["Open House"]
    assert (await client.get(f"/api/v1/spaces/{sid}/members")).status_code == 200
    assert (await client.post(f"/api/v1/spaces/{sid}/join")).status_code == 401


async def test_hybrid_space_holds_externals_only_there(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db)
    guest = await make_person(db, kind="external", organization="Acme Corp", relation="customer")
    o, g = await auth_headers(client, owner), await auth_headers(client, guest)
    community = (await _create(client, o, name="Internal only"))["id"]
    hybrid = (await _create(client, o, name="Acme project", kind="hybrid", visibility="private"))[
        "id"
    ]
    r = await client.post(
        f"/api/v1/spaces/{community}/members", json={"person_id": str(guest.id)}, headers=o
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/spaces/{hybrid}/members", json={"person_id": str(guest.id)}, headers=o
    )
    assert r.status_code == 201
    mine = (await client.get("/api/v1/spaces", headers=g)).json()["items"]
    assert [s["name"] for s in mine] == ["Acme project"]
    assert (await client.get(f"/api/v1/spaces/{community}", headers=g)).status_code == 404
    aud = (await client.get(f"/api/v1/spaces/{hybrid}/audience", headers=o)).json()
    assert aud == {
        "members": 2,
        "internal": 1,
        "external": 1,
        "organizations": ["Acme Corp"],
        "public": False,
    }
    # the guest now sees the owner in the directory, and nobody else
    await make_person(db, name="Stranger")
    people = (await client.get("/api/v1/people", headers=g)).json()["items"]
    assert sorted(p["id"] for p in people) == sorted([str(owner.id), str(guest.id)])
    assert (
        await client.post("/api/v1/spaces", json={"name": "G", "kind": "community"}, headers=g)
    ).status_code == 403


async def test_unit_space_follows_the_org_tree(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, role="admin")
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", parent=sales)
    eng = await make_unit(db, "Engineering")
    bea = await make_person(db, name="Bea", unit_id=emea.id)
    a = await auth_headers(client, admin)
    space = await _create(client, a, name="Sales team", kind="unit", unit_id=str(sales.id))
    sid = space["id"]

    async def names() -> list[str]:
        items = (await client.get(f"/api/v1/spaces/{sid}/members", headers=a)).json()["items"]
        return [m["name"] for m in items]

    assert "Bea" in await names()
    carl = await client.post(
        "/api/v1/people",
        json={"name": "Carl", "email": "carl@example.com", "unit_id": str(emea.id)},
        headers=a,
    )
    assert "Carl" in await names()
    await client.patch(f"/api/v1/people/{bea.id}", json={"unit_id": str(eng.id)}, headers=a)
    assert "Bea" not in await names()
    await client.patch(f"/api/v1/people/{carl.json()['id']}", json={"is_active": False}, headers=a)
    assert "Carl" not in await names()
    csv = (
        "email,name,title,unit_path,kind,organization,relation\n"
        "dan@example.com,Dan,,Sales/EMEA,member,,\n"
    )
    r = await client.post(
        "/api/v1/admin/import/org", content=csv, headers={**a, "content-type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    assert "Dan" in await names()
    joiner = await make_person(db, unit_id=eng.id)
    assert (
        await client.post(f"/api/v1/spaces/{sid}/join", headers=await auth_headers(client, joiner))
    ).status_code == 403


async def test_situation_room_closes_and_becomes_read_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    lead = await make_person(db)
    helper = await make_person(db)
    h = await auth_headers(client, lead)
    bad = await client.post(
        "/api/v1/spaces",
        json={"name": "Outage", "kind": "situation", "visibility": "private"},
        headers=h,
    )
    assert bad.status_code == 422
    closes = (utcnow() + timedelta(hours=4)).isoformat()
    room = await _create(
        client,
        h,
        name="Outage",
        kind="situation",
        visibility="private",
        closes_at=closes,
        member_ids=[str(helper.id)],
    )
    assert room["member_count"] == 2 and room["archived"] is False


async def test_housekeeping_archives_situation_rooms_whose_time_is_up(
    app, client: httpx.AsyncClient, db: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    from atoll import tasks
    from atoll.spaces import service as spaces_service
    from atoll.spaces.models import Space

    lead = await make_person(db)
    room = await spaces_service.do_create_space(
        db,
        actor=lead,
        name="Incident",
        kind="situation",
        visibility="private",
        closes_at=utcnow() + timedelta(hours=1),
    )
    await db.commit()
    await tasks.run_once(app.state.sessionmaker)
    await db.refresh(room)
    assert room.archived_at is None
    room.closes_at = utcnow() - timedelta(minutes=1)
    await db.commit()
    h = await auth_headers(client, lead)
    r = await client.post(
        f"/api/v1/spaces/{room.id}/posts", json={"body": "still here?"}, headers=h
    )
    assert r.status_code == 409  # read-only as soon as it closes
    await tasks.run_once(app.state.sessionmaker)
    archived = await db.get(Space, room.id)
    await db.refresh(archived)
    assert archived is not None and archived.archived_at is not None
    mine = (await client.get("/api/v1/spaces", params={"mine": "true"}, headers=h)).json()["items"]
    assert mine == []


async def test_public_audience_names_no_organisations(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    await make_person(db, kind="external", organization="Secret Client Inc", relation="customer")
    a = await auth_headers(client, admin)
    sid = (await _create(client, a, name="Lobby", kind="public"))["id"]
    audience = (await client.get(f"/api/v1/spaces/{sid}/audience", headers=a)).json()
    assert audience["public"] is True and audience["organizations"] == []


async def test_a_new_organisation_in_a_hybrid_space_needs_a_confirmation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner = await make_person(db, name="Olga Owner")
    marta = await make_person(db, name="Marta", kind="external", organization="Acme Corp")
    tom = await make_person(db, name="Tom", kind="external", organization="acme  corp")
    lina = await make_person(db, name="Lina Haugen", kind="external", organization="Beta Ltd")
    gus = await make_person(db, name="Gus", kind="external", organization="Globex")
    o = await auth_headers(client, owner)
    sid = (await _create(client, o, name="Acme project", kind="hybrid", visibility="private"))["id"]

    async def add(person_id: int, **extra: object) -> httpx.Response:
        return await client.post(
            f"/api/v1/spaces/{sid}/members", json={"person_id": str(person_id), **extra}, headers=o
        )

    assert (await add(marta.id)).status_code == 201  # the first organisation: what it is for
    assert (await add(tom.id)).status_code == 201  # the same organisation, spelled otherwise
    refused = await add(lina.id)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["organizations"] == ["Acme Corp"] and problem["new_organization"] == "Beta Ltd"
    assert "Acme Corp" in problem["detail"] and "Beta Ltd" in problem["detail"]
    assert "confirm_new_organization" in problem["detail"]
    members = (await client.get(f"/api/v1/spaces/{sid}/members", headers=o)).json()["items"]
    assert "Lina Haugen" not in [m["name"] for m in members]
    assert (await add(lina.id, confirm_new_organization="yes")).status_code == 422

    assert (await add(lina.id, confirm_new_organization=True)).status_code == 201
    third = await add(gus.id)
    assert third.status_code == 409
    assert third.json()["organizations"] == ["Acme Corp", "Beta Ltd"]
    assert (await add(gus.id, confirm_new_organization=True)).status_code == 201
    aud = (await client.get(f"/api/v1/spaces/{sid}/audience", headers=o)).json()
    assert aud["organizations"] == ["Acme Corp", "Beta Ltd", "Globex"]  # each one, once


async def test_space_names_lose_invisible_controls(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers = await auth_headers(client, await make_person(db))
    body = {"name": "Pay\u202eroll\u200b", "kind": "community", "visibility": "open"}
    made = await client.post("/api/v1/spaces", json=body, headers=headers)
    assert made.status_code == 201 and made.json()["name"] == "Payroll"
    renamed = await client.patch(
        f"/api/v1/spaces/{made.json()['id']}", json={"name": "\u2066Pay\u2069 day"}, headers=headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Pay day"
