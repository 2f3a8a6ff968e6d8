"""The PATCH and PUT bodies Entra ID and Okta send, as their documentation shows them."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_person, make_unit
from tests.identity.scim_helpers import (
    GROUP,
    SCIM,
    USER,
    assert_scim_error,
    count_events,
    patch_body,
    person,
    user_body,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def _user(client: httpx.AsyncClient, scim: dict[str, str], email: str) -> dict:
    answer = await client.post(f"{SCIM}/Users", json=user_body(email), headers=scim)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_entra_user_patches(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    ana = await _user(client, scim, "ana@contoso.com")
    answer = await client.patch(
        f"{SCIM}/Users/{ana['id']}",
        headers=scim,
        json=patch_body(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ana.l@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "López"},
            {"op": "Add", "path": "title", "value": "Buyer"},
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Purchasing"},
            {"op": "Replace", "path": "displayName", "value": "Ana López"},
        ),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["emails"] == [{"value": "ana.l@contoso.com", "type": "work", "primary": True}]
    assert body["name"]["familyName"] == "López" and body["title"] == "Buyer"
    stored = await person(db, ana["id"])
    assert (stored.email, stored.name, stored.title) == ("ana.l@contoso.com", "Ana López", "Buyer")
    # Entra disables with a string, capitalised op, and sends dotted names in a path-less value
    off = await client.patch(
        f"{SCIM}/Users/{ana['id']}",
        headers=scim,
        json=patch_body({"op": "Replace", "path": "active", "value": "False"}),
    )
    assert off.json()["active"] is False and not (await person(db, ana["id"])).is_active
    renamed = await client.patch(
        f"{SCIM}/Users/{ana['id']}",
        headers=scim,
        json=patch_body({"op": "replace", "value": {"name.givenName": "Anabel", "active": "True"}}),
    )
    assert renamed.json()["name"]["givenName"] == "Anabel" and renamed.json()["active"] is True


async def test_entra_adds_a_work_address_to_a_user_without_one(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    created = await client.post(
        f"{SCIM}/Users",
        headers=scim,
        json={"schemas": [USER], "userName": "bo@contoso.com", "active": True},
    )
    bo = created.json()
    assert bo["emails"] == [{"value": "bo@contoso.com"}]
    answer = await client.patch(
        f"{SCIM}/Users/{bo['id']}",
        headers=scim,
        json=patch_body(
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "bo.b@contoso.com"}
        ),
    )
    assert answer.status_code == 200, answer.text
    assert (await person(db, bo["id"])).email == "bo.b@contoso.com"


async def test_entra_group_membership_patches(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    sales = await make_unit(db, "Sales")
    top_id, sales_id = sales.parent_id, sales.id
    ana = await _user(client, scim, "ana@contoso.com")
    bo = await _user(client, scim, "bo@contoso.com")
    group = f"{SCIM}/Groups/g{sales_id}"
    added = await client.patch(
        group,
        headers=scim,
        json=patch_body(
            {"op": "Add", "path": "members", "value": [{"value": ana["id"]}, {"value": bo["id"]}]}
        ),
    )
    assert added.status_code == 200, added.text
    assert {m["value"] for m in added.json()["members"]} == {ana["id"], bo["id"]}
    assert (await person(db, ana["id"])).unit_id == sales_id
    removed = await client.patch(
        group,
        headers=scim,
        json=patch_body({"op": "Remove", "path": "members", "value": [{"value": ana["id"]}]}),
    )
    assert [m["value"] for m in removed.json()["members"]] == [bo["id"]]
    assert (await person(db, ana["id"])).unit_id == top_id
    renamed = await client.patch(
        group,
        headers=scim,
        json=patch_body({"op": "Replace", "path": "displayName", "value": "Sales EMEA"}),
    )
    assert renamed.json()["displayName"] == "Sales EMEA"


async def test_okta_deactivates_without_a_path_and_puts_the_whole_user(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    ana = await _user(client, scim, "ana@okta.example")
    off = await client.patch(
        f"{SCIM}/Users/{ana['id']}",
        headers=scim,
        json=patch_body({"op": "replace", "value": {"active": False}}),
    )
    assert off.status_code == 200 and off.json()["active"] is False
    assert not (await person(db, ana["id"])).is_active
    okta_put = {
        "schemas": [USER],
        "id": ana["id"],
        "userName": "ana@okta.example",
        "name": {"givenName": "Ana", "familyName": "Lopez-Diaz"},
        "emails": [{"primary": True, "value": "ana@okta.example", "type": "work"}],
        "displayName": "Ana Lopez-Diaz",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "t1meMa$heen",
        "active": True,
    }
    answer = await client.put(f"{SCIM}/Users/{ana['id']}", headers=scim, json=okta_put)
    assert answer.status_code == 200, answer.text
    assert answer.json()["externalId"] == "00ujl29u0le5T6Aj10h7"
    stored = await person(db, ana["id"])
    assert stored.is_active and stored.name == "Ana Lopez-Diaz" and stored.password_hash is None
    events = await count_events(db)
    again = await client.put(f"{SCIM}/Users/{ana['id']}", headers=scim, json=okta_put)
    assert again.status_code == 200 and await count_events(db) == events


async def test_okta_group_patches(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    await make_unit(db, "Anything")  # the top of the organisation
    created = await client.post(
        f"{SCIM}/Groups", headers=scim, json={"schemas": [GROUP], "displayName": "Test SCIMv2"}
    )
    assert created.status_code == 201, created.text
    group = created.json()
    ana = await _user(client, scim, "ana@okta.example")
    path = f"{SCIM}/Groups/{group['id']}"
    add = await client.patch(
        path,
        headers=scim,
        json=patch_body(
            {
                "op": "add",
                "path": "members",
                "value": [{"value": ana["id"], "display": "ana@okta.example"}],
            }
        ),
    )
    assert [m["value"] for m in add.json()["members"]] == [ana["id"]]
    rename = await client.patch(
        path,
        headers=scim,
        json=patch_body({"op": "replace", "value": {"id": group["id"], "displayName": "Renamed"}}),
    )
    assert rename.json()["displayName"] == "Renamed"
    remove = await client.patch(
        path,
        headers=scim,
        json=patch_body({"op": "remove", "path": f'members[value eq "{ana["id"]}"]'}),
    )
    assert remove.json()["members"] == []


async def test_bad_patches_are_scim_errors_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    bo_id = (await make_person(db, email="bo@example.com", title="Keeper")).id
    url = f"{SCIM}/Users/{bo_id}"
    cases = [
        (patch_body({"op": "rename", "path": "title", "value": "x"}), "invalidSyntax"),
        ({"schemas": ["urn:nothing"], "Operations": []}, "invalidSyntax"),
        (patch_body(), "invalidSyntax"),
        (patch_body({"op": "replace", "path": "shoeSize", "value": 44}), "invalidPath"),
        (
            patch_body({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}),
            "invalidPath",
        ),
        (patch_body({"op": "replace", "path": 'title[value eq "x"]', "value": "x"}), "invalidPath"),
        (patch_body({"op": "replace", "path": "active", "value": "perhaps"}), "invalidValue"),
        (patch_body({"op": "replace", "value": "not an object"}), "invalidValue"),
        (
            patch_body(
                {"op": "replace", "path": "title", "value": "New"},
                {"op": "replace", "path": "userName", "value": 7},
            ),
            "invalidValue",
        ),
        (patch_body({"op": "remove"}), "noTarget"),
        (patch_body({"op": "replace", "path": "id", "value": "9"}), "mutability"),
    ]
    for body, scim_type in cases:
        assert_scim_error(await client.patch(url, json=body, headers=scim), 400, scim_type)
    assert (await person(db, bo_id)).title == "Keeper"
