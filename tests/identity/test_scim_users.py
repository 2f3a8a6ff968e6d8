"""SCIM Users ↔ people: create, read, filter, page, replace, deactivate, delete, and every bad
input answered in SCIM's error format with nothing changed."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.scim_tokens import do_revoke_token
from tests.factories import auth_headers, make_person, make_unit
from tests.identity.scim_helpers import (
    SCIM,
    USER,
    assert_scim_error,
    count_events,
    count_people,
    patch_body,
    person,
    user_body,
)


async def test_without_a_valid_token_every_answer_is_a_scim_401(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    for headers in ({}, {"Authorization": "Bearer scim_madeup"}, {"Authorization": "Basic eDp5"}):
        answer = await client.get(f"{SCIM}/Users", headers=headers)
        assert_scim_error(answer, 401)
        assert "Bearer" in answer.headers["www-authenticate"]
    assert_scim_error(await client.post(f"{SCIM}/Users", json=user_body("a@example.com")), 401)
    assert (await client.get(f"{SCIM}/Users", headers=scim)).status_code == 200
    await do_revoke_token(db, token_id=None)
    await db.commit()
    assert_scim_error(await client.get(f"{SCIM}/Users", headers=scim), 401)


async def test_discovery_describes_users_and_groups(
    client: httpx.AsyncClient, scim: dict[str, str]
) -> None:
    config = (await client.get(f"{SCIM}/ServiceProviderConfig", headers=scim)).json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    assert not config["bulk"]["supported"]
    types = (await client.get(f"{SCIM}/ResourceTypes", headers=scim)).json()
    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    schema = (await client.get(f"{SCIM}/Schemas/{USER}", headers=scim)).json()
    assert {a["name"] for a in schema["attributes"]} >= {"userName", "active", "emails", "name"}
    assert_scim_error(await client.get(f"{SCIM}/Schemas/urn:nothing", headers=scim), 404)
    assert_scim_error(await client.get(f"{SCIM}/Nothing", headers=scim), 404)
    assert_scim_error(await client.delete(f"{SCIM}/Schemas", headers=scim), 405)
    assert_scim_error(await client.put(f"{SCIM}/Users", json={}, headers=scim), 405)
    assert_scim_error(await client.get(f"{SCIM}/.search", headers=scim), 405)


async def test_a_new_user_is_a_member_at_the_top_of_the_organisation(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    team = await make_unit(db, "Team")  # makes the top ("Company") too
    top_id = team.parent_id
    body = user_body("Ana.Lopez@Example.com", title="Engineer", externalId="ext-1")
    answer = await client.post(f"{SCIM}/Users", json=body, headers=scim)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == created["meta"]["location"]
    assert created["userName"] == "Ana.Lopez@Example.com"
    assert created["emails"][0]["value"] == "ana.lopez@example.com"
    assert created["externalId"] == "ext-1" and created["active"] is True
    ana = await person(db, created["id"])
    assert (ana.name, ana.title, ana.kind) == ("Ana Lopez", "Engineer", "member")
    assert ana.unit_id == top_id
    again = await client.get(f"{SCIM}/Users/{created['id']}", headers=scim)
    assert again.json()["name"] == {"givenName": "Ana", "familyName": "Lopez"}


async def test_filters_find_users_by_each_attribute(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    await make_person(db, name="Bo Berg", email="bo@example.com", title="Designer")
    for email, ext in (("ana@example.com", "e-ana"), ("cy@other.org", "e-cy")):
        body = user_body(email, externalId=ext, displayName=email.split("@")[0].title())
        assert (await client.post(f"{SCIM}/Users", json=body, headers=scim)).status_code == 201
    cy = (
        await client.get(
            f"{SCIM}/Users", params={"filter": 'userName eq "cy@other.org"'}, headers=scim
        )
    ).json()["Resources"][0]
    await client.patch(
        f"{SCIM}/Users/{cy['id']}",
        headers=scim,
        json=patch_body({"op": "replace", "path": "active", "value": False}),
    )

    async def names(expression: str) -> list[str]:
        answer = await client.get(f"{SCIM}/Users", params={"filter": expression}, headers=scim)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["totalResults"] == len(body["Resources"])
        return sorted(u["userName"] for u in body["Resources"])

    assert await names('userName eq "BO@example.com"') == ["bo@example.com"]
    assert await names('userName co "example"') == ["ana@example.com", "bo@example.com"]
    assert await names('userName sw "c"') == ["cy@other.org"]
    assert await names('userName ew ".org"') == ["cy@other.org"]
    assert await names('userName ne "bo@example.com"') == ["ana@example.com", "cy@other.org"]
    assert await names('emails.value eq "ana@example.com"') == ["ana@example.com"]
    assert await names('emails[type eq "work" and value co "ana"]') == ["ana@example.com"]
    assert await names('externalId eq "e-cy"') == ["cy@other.org"]
    assert await names("externalId pr") == ["ana@example.com", "cy@other.org"]
    assert await names('displayName eq "Bo Berg"') == ["bo@example.com"]
    assert await names("active eq false") == ["cy@other.org"]
    assert await names('name.givenName eq "ana" and active eq true') == ["ana@example.com"]
    assert await names('title eq "designer" or userName sw "cy"') == [
        "bo@example.com",
        "cy@other.org",
    ]
    assert await names('not (userName co "example")') == ["cy@other.org"]
    assert await names(
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ana@example.com"'
    ) == ["ana@example.com"]


async def test_paging_counts_from_one(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    for n in range(5):
        await make_person(db, email=f"p{n}@example.com")
    page = (
        await client.get(f"{SCIM}/Users", params={"startIndex": 2, "count": 2}, headers=scim)
    ).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [u["userName"] for u in page["Resources"]] == ["p1@example.com", "p2@example.com"]
    none = (await client.get(f"{SCIM}/Users", params={"count": 0}, headers=scim)).json()
    assert none["totalResults"] == 5 and none["Resources"] == []
    searched = await client.post(
        f"{SCIM}/Users/.search",
        headers=scim,
        json={"filter": 'userName sw "p4"', "attributes": ["userName"]},
    )
    assert searched.json()["Resources"] == [
        {
            "schemas": [USER],
            "id": searched.json()["Resources"][0]["id"],
            "userName": "p4@example.com",
            "meta": searched.json()["Resources"][0]["meta"],
        }
    ]
    assert_scim_error(
        await client.get(f"{SCIM}/Users", params={"count": "many"}, headers=scim),
        400,
        "invalidValue",
    )


async def test_a_bad_filter_is_an_invalid_filter_error(
    client: httpx.AsyncClient, scim: dict[str, str]
) -> None:
    for expression in (
        "userName eq",
        'userName equals "a"',
        'nickName eq "a"',
        '(userName eq "a"',
        'userName eq "a" and',
        'active eq "maybe"',
        'userName eq "a" extra',
        "userName co 5",
        'emails[type eq "work"',
    ):
        answer = await client.get(f"{SCIM}/Users", params={"filter": expression}, headers=scim)
        assert_scim_error(answer, 400, "invalidFilter")


async def test_bad_bodies_are_scim_errors_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    await make_person(db, email="taken@example.com")
    before = await count_people(db)
    cases = [
        (user_body("a@example.com", shoeSize=44), 400, "invalidSyntax"),
        (user_body("a@example.com", name={"givenName": "A", "nick": "x"}), 400, "invalidSyntax"),
        ({**user_body("a@example.com"), "schemas": ["urn:nothing"]}, 400, "invalidSyntax"),
        (user_body("a@example.com", active="maybe"), 400, "invalidValue"),
        ({**user_body("a@example.com"), "userName": 5}, 400, "invalidValue"),
        ({**user_body("a@example.com"), "emails": "a@example.com"}, 400, "invalidValue"),
        (
            {**user_body("a@example.com"), "emails": [{"value": "not an address"}]},
            400,
            "invalidValue",
        ),
        ({"schemas": [USER], "userName": "no-address"}, 400, "invalidValue"),
        ({"schemas": [USER], "emails": [{"value": "x@example.com"}]}, 400, "invalidValue"),
        (user_body("taken@example.com"), 409, "uniqueness"),
        (
            {**user_body("new@example.com"), "emails": [{"value": "taken@example.com"}]},
            409,
            "uniqueness",
        ),
    ]
    for body, status, scim_type in cases:
        answer = await client.post(f"{SCIM}/Users", json=body, headers=scim)
        assert_scim_error(answer, status, scim_type)
    broken = await client.post(f"{SCIM}/Users", content=b"{not json", headers=scim)
    assert_scim_error(broken, 400, "invalidSyntax")
    assert await count_people(db) == before


async def test_a_duplicate_user_name_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    body = {**user_body("one@example.com"), "userName": "ANA"}
    assert (await client.post(f"{SCIM}/Users", json=body, headers=scim)).status_code == 201
    again = {**user_body("two@example.com"), "userName": "ana"}
    assert_scim_error(
        await client.post(f"{SCIM}/Users", json=again, headers=scim), 409, "uniqueness"
    )


async def test_a_put_of_the_same_user_writes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    created = (
        await client.post(
            f"{SCIM}/Users", json=user_body("ana@example.com", title="CTO"), headers=scim
        )
    ).json()
    before = await person(db, created["id"])
    stamp, events = before.updated_at, await count_events(db)
    same = {k: v for k, v in created.items() if k not in ("id", "meta")}
    for _ in range(2):
        answer = await client.put(f"{SCIM}/Users/{created['id']}", json=same, headers=scim)
        assert answer.status_code == 200 and answer.json()["title"] == "CTO"
    assert (await person(db, created["id"])).updated_at == stamp
    assert await count_events(db) == events
    changed = await client.put(
        f"{SCIM}/Users/{created['id']}", headers=scim, json={**same, "title": "CEO"}
    )
    assert changed.json()["title"] == "CEO"
    assert (await person(db, created["id"])).title == "CEO"


async def test_active_false_signs_the_person_out_and_true_lets_them_back(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    ana = await make_person(db, email="ana@example.com")
    signed_in = await auth_headers(client, ana)
    assert (await client.get("/api/v1/me", headers=signed_in)).status_code == 200
    off = await client.patch(
        f"{SCIM}/Users/{ana.id}",
        headers=scim,
        json=patch_body({"op": "replace", "path": "active", "value": False}),
    )
    assert off.status_code == 200 and off.json()["active"] is False
    assert not (await person(db, ana.id)).is_active
    assert (await client.get("/api/v1/me", headers=signed_in)).status_code == 401
    on = await client.patch(
        f"{SCIM}/Users/{ana.id}",
        headers=scim,
        json=patch_body({"op": "replace", "path": "active", "value": True}),
    )
    assert on.json()["active"] is True and (await person(db, ana.id)).is_active


async def test_the_last_active_admin_is_never_deactivated(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    admin = await make_person(db, email="root@example.com", role="admin")
    for attempt in (
        client.patch(
            f"{SCIM}/Users/{admin.id}",
            headers=scim,
            json=patch_body({"op": "replace", "value": {"active": False}}),
        ),
        client.put(
            f"{SCIM}/Users/{admin.id}",
            headers=scim,
            json={**user_body("root@example.com"), "active": False},
        ),
        client.delete(f"{SCIM}/Users/{admin.id}", headers=scim),
    ):
        assert_scim_error(await attempt, 400, "mutability")
    assert (await person(db, admin.id)).is_active
    assert (await client.get(f"{SCIM}/Users/{admin.id}", headers=scim)).status_code == 200


async def test_delete_deactivates_keeps_the_person_and_a_post_brings_them_back(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    created = (
        await client.post(f"{SCIM}/Users", json=user_body("ana@example.com"), headers=scim)
    ).json()
    gone = await client.delete(f"{SCIM}/Users/{created['id']}", headers=scim)
    assert gone.status_code == 204
    kept = await person(db, created["id"])
    assert kept.email == "ana@example.com" and not kept.is_active
    assert_scim_error(await client.get(f"{SCIM}/Users/{created['id']}", headers=scim), 404)
    found = await client.get(
        f"{SCIM}/Users", headers=scim, params={"filter": 'userName eq "ana@example.com"'}
    )
    assert found.json()["totalResults"] == 0
    assert_scim_error(await client.delete(f"{SCIM}/Users/{created['id']}", headers=scim), 404)
    back = await client.post(f"{SCIM}/Users", json=user_body("ana@example.com"), headers=scim)
    assert back.status_code == 201 and back.json()["id"] == created["id"]
    assert (await person(db, created["id"])).is_active
    assert_scim_error(await client.get(f"{SCIM}/Users/999999", headers=scim), 404)
    assert_scim_error(await client.get(f"{SCIM}/Users/not-an-id", headers=scim), 404)


async def test_names_are_cleaned_of_invisible_characters(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    body = user_body("eve@example.com", displayName="Eve\u202e lanoitan\u200b", title="Boss\x07")
    answer = await client.post(f"{SCIM}/Users", json=body, headers=scim)
    assert answer.status_code == 201, answer.text
    eve = await person(db, answer.json()["id"])
    assert (eve.name, eve.title) == ("Eve lanoitan", "Boss")
    assert answer.json()["displayName"] == "Eve lanoitan"
