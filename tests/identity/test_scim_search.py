"""POST /scim/v2/.search: Users and Groups in one list (RFC 7644 §3.4.3) — the Users, then the
Groups, paged as one list; an attribute of one type only is, on the other, without a value."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_person, make_unit
from tests.identity.scim_helpers import GROUP, SCIM, USER, assert_scim_error

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def _search(client: httpx.AsyncClient, scim: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = await client.post(f"{SCIM}/.search", headers=scim, json={"schemas": [SEARCH], **body})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/scim+json")
    found: dict[str, Any] = answer.json()
    assert found["schemas"] == [LIST]
    return found


async def _ids(client: httpx.AsyncClient, scim: dict[str, str], filter_text: str) -> list[str]:
    return [r["id"] for r in (await _search(client, scim, filter=filter_text))["Resources"]]


async def _directory(db: AsyncSession) -> dict[str, int]:
    """Two units (the top, Sales) and two people (Ana in Sales, Bo at the top)."""
    sales = await make_unit(db, "Sales")
    ana = await make_person(db, name="Ana Lopez", email="ana@example.com", unit_id=sales.id)
    bo = await make_person(db, name="Bo Berg", email="bo@example.com", title="Designer")
    return {"top": sales.parent_id or 0, "sales": sales.id, "ana": ana.id, "bo": bo.id}


async def test_users_then_groups_each_with_its_schema_and_type(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    ids = await _directory(db)
    found = await _search(client, scim)
    assert (found["totalResults"], found["startIndex"], found["itemsPerPage"]) == (4, 1, 4)
    shapes = [(r["id"], r["schemas"], r["meta"]["resourceType"]) for r in found["Resources"]]
    assert shapes == [
        (str(ids["ana"]), [USER], "User"),
        (str(ids["bo"]), [USER], "User"),
        (f"g{ids['top']}", [GROUP], "Group"),
        (f"g{ids['sales']}", [GROUP], "Group"),
    ]
    for resource in found["Resources"]:
        kind = resource["meta"]["resourceType"]
        assert resource["meta"]["location"].endswith(f"{SCIM}/{kind}s/{resource['id']}")
        single = await client.get(resource["meta"]["location"], headers=scim)
        assert single.json() == resource
    sales = found["Resources"][3]
    assert [m["value"] for m in sales["members"]] == [str(ids["ana"])]
    assert_scim_error(
        await client.post(f"{SCIM}/.search", headers=scim, json=[]), 400, "invalidSyntax"
    )
    assert_scim_error(await client.get(f"{SCIM}/.search", headers=scim), 405)


async def test_pages_run_across_users_into_groups(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    await _directory(db)
    for n in range(3):
        await make_unit(db, f"Team {n}")
    everything = [r["id"] for r in (await _search(client, scim))["Resources"]]
    assert len(everything) == 7  # 2 Users, 5 Groups
    for size in (1, 2, 3, 5):
        pages = []
        for start in range(1, len(everything) + 1, size):
            page = await _search(client, scim, startIndex=start, count=size)
            assert (page["totalResults"], page["startIndex"]) == (7, start)
            assert page["itemsPerPage"] == len(page["Resources"]) <= size
            pages += [r["id"] for r in page["Resources"]]
        assert pages == everything
    past = await _search(client, scim, startIndex=20, count=5)
    assert (past["totalResults"], past["Resources"]) == (7, [])
    counted = await _search(client, scim, count=0)
    assert (counted["totalResults"], counted["Resources"]) == (7, [])
    filtered = await _search(client, scim, filter='displayName sw "S" or userName sw "b"', count=1)
    assert filtered["totalResults"] == 2 and len(filtered["Resources"]) == 1


async def test_attributes_and_excluded_attributes_apply_to_both_types(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    await _directory(db)
    named = (await _search(client, scim, attributes=["displayName"]))["Resources"]
    assert all(set(r) == {"schemas", "id", "meta", "displayName"} for r in named)
    only_users = (await _search(client, scim, attributes=["userName", "emails.value"]))["Resources"]
    assert [sorted(r) for r in only_users[:2]] == [
        ["emails", "id", "meta", "schemas", "userName"]
    ] * 2
    assert only_users[0]["emails"] == [{"value": "ana@example.com"}]
    assert all(set(r) == {"schemas", "id", "meta"} for r in only_users[2:])
    no_members = await _search(client, scim, excludedAttributes=["members", "emails"])
    assert all("members" not in r and "emails" not in r for r in no_members["Resources"])
    assert all("userName" in r for r in no_members["Resources"][:2])
    urn = await _search(client, scim, attributes=f"{GROUP}:members")
    assert [("members" in r) for r in urn["Resources"]] == [False, False, True, True]


async def test_a_filter_attribute_of_one_type_matches_nothing_of_the_other(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    ids = await _directory(db)
    ana, bo, top, sales = str(ids["ana"]), str(ids["bo"]), f"g{ids['top']}", f"g{ids['sales']}"
    assert await _ids(client, scim, 'userName eq "ana@example.com"') == [ana]
    assert await _ids(client, scim, 'emails[type eq "work"]') == [ana, bo]
    assert await _ids(client, scim, "active eq true") == [ana, bo]
    assert await _ids(client, scim, f'members[value eq "{ana}"]') == [sales]
    assert await _ids(client, scim, f'members[value eq "{bo}"]') == [top]
    assert await _ids(client, scim, "members pr") == [top, sales]
    assert await _ids(client, scim, 'displayName eq "Sales"') == [sales]
    assert await _ids(client, scim, 'displayName co "o"') == [ana, bo, top]
    # without a value: pr and eq are false, ne is true, and not() turns them round
    assert await _ids(client, scim, "not (userName pr)") == [top, sales]
    assert await _ids(client, scim, "not (members pr)") == [ana, bo]
    assert await _ids(client, scim, 'title ne "Designer"') == [ana, top, sales]
    assert await _ids(client, scim, 'not (members[value eq "1"]) and title pr') == [bo]
    assert await _ids(client, scim, f'id eq "{ana}" or id eq "{sales}"') == [ana, sales]
    assert await _ids(client, scim, 'meta.resourceType eq "Group"') == [top, sales]
    assert await _ids(client, scim, 'meta.resourceType eq "user"') == [ana, bo]
    answer = await client.post(f"{SCIM}/.search", headers=scim, json={"filter": 'shoeSize eq "x"'})
    assert_scim_error(answer, 400, "invalidFilter")
    answer = await client.post(f"{SCIM}/.search", headers=scim, json={"filter": 'active eq "y"'})
    assert_scim_error(answer, 400, "invalidFilter")
    by_type = await client.get(
        f"{SCIM}/Users", headers=scim, params={"filter": 'meta.resourceType eq "Group"'}
    )
    assert by_type.json()["totalResults"] == 0
