"""SCIM Groups ↔ units: a new group is a unit under the top, members are the people of the
unit, a rename renames the unit's path, a delete hands the people to the parent unit."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from tests.factories import auth_headers, make_person, make_unit
from tests.identity.scim_helpers import (
    GROUP,
    SCIM,
    assert_scim_error,
    count_events,
    patch_body,
    person,
)


async def _unit(db: AsyncSession, unit_id: int) -> Unit | None:
    db.expire_all()
    return (await db.execute(select(Unit).where(Unit.id == unit_id))).scalar_one_or_none()


def _unit_id(group_id: str) -> int:
    """The unit behind a Group's id ("g" and the unit's number)."""
    assert group_id.startswith("g") and group_id[1:].isdigit(), group_id
    return int(group_id[1:])


async def test_a_group_is_a_unit_with_its_people(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    team = await make_unit(db, "Team")
    top_id, team_id = team.parent_id, team.id
    ana_id = (await make_person(db, email="ana@example.com", unit_id=team_id)).id
    bo_id = (await make_person(db, email="bo@example.com")).id
    answer = await client.post(
        f"{SCIM}/Groups",
        headers=scim,
        json={
            "schemas": [GROUP],
            "displayName": "Sales",
            "externalId": "g-1",
            "members": [{"value": str(ana_id)}, {"value": str(bo_id), "type": "User"}],
        },
    )
    assert answer.status_code == 201, answer.text
    sales = answer.json()
    unit = await _unit(db, _unit_id(sales["id"]))
    assert unit is not None and (unit.name, unit.parent_id, unit.path) == ("Sales", top_id, "Sales")
    assert (await person(db, ana_id)).unit_id == _unit_id(sales["id"])
    assert sales["meta"]["location"].endswith(f"/scim/v2/Groups/{sales['id']}")
    assert sorted(m["value"] for m in sales["members"]) == sorted([str(ana_id), str(bo_id)])
    assert sales["members"][0]["$ref"].endswith(f"/scim/v2/Users/{sales['members'][0]['value']}")
    listed = await client.get(
        f"{SCIM}/Groups",
        headers=scim,
        params={"filter": f'members[value eq "{ana_id}"]', "excludedAttributes": "members"},
    )
    assert [(g["displayName"], "members" in g) for g in listed.json()["Resources"]] == [
        ("Sales", False)
    ]
    by_name = await client.get(
        f"{SCIM}/Groups", headers=scim, params={"filter": 'displayName eq "team"'}
    )
    assert [g["id"] for g in by_name.json()["Resources"]] == [f"g{team_id}"]
    by_ext = await client.get(
        f"{SCIM}/Groups", headers=scim, params={"filter": 'externalId eq "g-1"'}
    )
    assert by_ext.json()["totalResults"] == 1


async def test_a_put_replaces_members_and_renames_the_subtree(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", parent=sales)
    top_id, sales_id, emea_id = sales.parent_id, sales.id, emea.id
    ana_id = (await make_person(db, email="ana@example.com", unit_id=sales_id)).id
    bo_id = (await make_person(db, email="bo@example.com")).id
    body = {"schemas": [GROUP], "displayName": "Revenue", "members": [{"value": str(bo_id)}]}
    answer = await client.put(f"{SCIM}/Groups/g{sales_id}", headers=scim, json=body)
    assert answer.status_code == 200, answer.text
    assert [m["value"] for m in answer.json()["members"]] == [str(bo_id)]
    assert (await person(db, ana_id)).unit_id == top_id
    assert (await person(db, bo_id)).unit_id == sales_id
    child = await _unit(db, emea_id)
    assert child is not None and child.path == "Revenue/EMEA"
    events = await count_events(db)
    same = await client.put(f"{SCIM}/Groups/g{sales_id}", headers=scim, json=body)
    assert same.status_code == 200 and await count_events(db) == events


async def test_delete_moves_the_people_to_the_parent_unit(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", parent=sales)
    top_id, sales_id, emea_id = sales.parent_id, sales.id, emea.id
    ana_id = (await make_person(db, email="ana@example.com", unit_id=emea_id)).id
    assert_scim_error(
        await client.delete(f"{SCIM}/Groups/g{sales_id}", headers=scim), 400, "mutability"
    )
    assert_scim_error(
        await client.delete(f"{SCIM}/Groups/g{top_id}", headers=scim), 400, "mutability"
    )
    gone = await client.delete(f"{SCIM}/Groups/g{emea_id}", headers=scim)
    assert gone.status_code == 204
    assert await _unit(db, emea_id) is None
    assert (await person(db, ana_id)).unit_id == sales_id
    assert_scim_error(await client.get(f"{SCIM}/Groups/g{emea_id}", headers=scim), 404)


async def test_bad_group_bodies_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    sales = await make_unit(db, "Sales")
    sales_id = sales.id
    guest_id = (await make_person(db, kind="external", email="guest@acme.example")).id
    cases = [
        ({"schemas": [GROUP], "displayName": "X", "owner": "me"}, 400, "invalidSyntax"),
        ({"schemas": [GROUP]}, 400, "invalidValue"),
        ({"schemas": [GROUP], "displayName": ["X"]}, 400, "invalidValue"),
        ({"schemas": [GROUP], "displayName": "A/B"}, 400, "invalidValue"),
        (
            {"schemas": [GROUP], "displayName": "X", "members": [{"value": "999999"}]},
            400,
            "invalidValue",
        ),
        (
            {"schemas": [GROUP], "displayName": "X", "members": [{"value": str(guest_id)}]},
            400,
            "invalidValue",
        ),
        (
            {"schemas": [GROUP], "displayName": "X", "members": [{"value": "1", "type": "Group"}]},
            400,
            "invalidValue",
        ),
        ({"schemas": [GROUP], "displayName": "Sales"}, 409, "uniqueness"),
    ]
    units_before = len((await db.execute(select(Unit.id))).all())
    for body, status, scim_type in cases:
        answer = await client.post(f"{SCIM}/Groups", headers=scim, json=body)
        assert_scim_error(answer, status, scim_type)
    assert len((await db.execute(select(Unit.id))).all()) == units_before
    assert_scim_error(
        await client.get(f"{SCIM}/Groups", headers=scim, params={"filter": 'owner eq "x"'}),
        400,
        "invalidFilter",
    )
    unchanged = await _unit(db, sales_id)
    assert unchanged is not None and unchanged.name == "Sales"


async def test_the_unit_space_follows_group_members_and_deactivation(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    admin = await make_person(db, role="admin", email="root@example.com")
    sales = await make_unit(db, "Sales")
    sales_id = sales.id
    headers = await auth_headers(client, admin)
    made = await client.post(
        "/api/v1/spaces",
        json={"name": "Sales team", "kind": "unit", "visibility": "open", "unit_id": str(sales_id)},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    space_id = made.json()["id"]
    ids = [(await make_person(db, email=f"p{n}@example.com")).id for n in range(12)]

    async def members() -> set[str]:
        answer = await client.get(f"/api/v1/spaces/{space_id}/members", headers=headers)
        return {m["person_id"] for m in answer.json()["items"]}

    added = await client.patch(
        f"{SCIM}/Groups/g{sales_id}",
        headers=scim,
        json=patch_body(
            {"op": "Add", "path": "members", "value": [{"value": str(i)} for i in ids]}
        ),
    )
    assert added.status_code == 200, added.text
    assert {str(i) for i in ids} <= await members()
    off = await client.patch(
        f"{SCIM}/Users/{ids[0]}",
        headers=scim,
        json=patch_body({"op": "replace", "path": "active", "value": False}),
    )
    assert off.status_code == 200
    assert str(ids[0]) not in await members()


async def test_a_groups_unit_space_follows_it_like_any_units(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    """Groups change units through the organisation's own functions, so where the units of a
    level have spaces, a new group gets one, a renamed group renames it and a deleted group's
    space is archived (its people move up)."""
    admin = await make_person(db, role="admin")
    sales = await make_unit(db, "Sales")  # a division, below the top
    await spaces_service.do_create_space(
        db, actor=admin, name="Sales", kind="unit", visibility="open", unit_id=sales.id
    )
    await db.commit()
    made = await client.post(
        f"{SCIM}/Groups", headers=scim, json={"schemas": [GROUP], "displayName": "Support"}
    )
    assert made.status_code == 201, made.text
    group_id = made.json()["id"]
    unit_id = _unit_id(group_id)
    space = (await db.execute(select(Space).where(Space.unit_id == unit_id))).scalar_one()
    assert (space.name, space.kind, space.archived_at) == ("Support", "unit", None)
    space_id = space.id

    renamed = await client.patch(
        f"{SCIM}/Groups/{group_id}",
        headers=scim,
        json=patch_body({"op": "replace", "path": "displayName", "value": "Customer Care"}),
    )
    assert renamed.status_code == 200, renamed.text
    db.expire_all()
    assert (await db.get(Space, space_id)).name == "Customer Care"  # type: ignore[union-attr]

    assert (await client.delete(f"{SCIM}/Groups/{group_id}", headers=scim)).status_code == 204
    db.expire_all()
    kept = await db.get(Space, space_id)
    assert kept is not None and kept.archived_at is not None
    assert await _unit(db, unit_id) is None


async def test_a_user_and_a_group_never_share_an_id(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    """Person n and unit n are User "n" and Group "gn" (RFC 7643 §3.1: an id is unique across
    every resource); each id names one resource, and only one way."""
    unit = await make_unit(db, "Ops")
    someone = await make_person(db)
    for _ in range(50):  # make the numbers meet: ids only grow
        if unit.id < someone.id:
            unit = await make_unit(db)
        elif someone.id < unit.id:
            someone = await make_person(db)
    number, unit_name = unit.id, unit.name
    assert someone.id == number
    await db.execute(update(Person).where(Person.id == number).values(unit_id=number))
    await db.commit()
    user = (await client.get(f"{SCIM}/Users/{number}", headers=scim)).json()
    group = (await client.get(f"{SCIM}/Groups/g{number}", headers=scim)).json()
    assert (user["id"], group["id"]) == (str(number), f"g{number}")
    assert (group["displayName"], group["meta"]["resourceType"]) == (unit_name, "Group")
    assert group["meta"]["location"].endswith(f"/scim/v2/Groups/g{number}")
    assert [(m["value"], m["type"]) for m in group["members"]] == [(str(number), "User")]
    assert group["members"][0]["$ref"] == user["meta"]["location"]
    assert_scim_error(await client.get(f"{SCIM}/Groups/{number}", headers=scim), 404)
    assert_scim_error(await client.get(f"{SCIM}/Users/g{number}", headers=scim), 404)
    listed = (await client.get(f"{SCIM}/Groups", headers=scim)).json()["Resources"]
    assert all(g["id"].startswith("g") for g in listed) and len(listed) >= 2

    async def found(filter_text: str) -> list[str]:
        answer = await client.get(f"{SCIM}/Groups", headers=scim, params={"filter": filter_text})
        assert answer.status_code == 200, answer.text
        return [g["id"] for g in answer.json()["Resources"]]

    assert await found(f'id eq "g{number}"') == [f"g{number}"]
    assert await found(f'id eq "{number}"') == []
    assert await found(f"id eq {number}") == []
    assert f"g{number}" not in await found(f'id ne "g{number}"')
    assert await found(f'members[value eq "{number}"]') == [f"g{number}"]


async def test_a_malformed_group_id_is_a_404(
    client: httpx.AsyncClient, db: AsyncSession, scim: dict[str, str]
) -> None:
    unit_id = (await make_unit(db, "Sales")).id
    body = {"schemas": [GROUP], "displayName": "Renamed"}
    patch = patch_body({"op": "replace", "path": "displayName", "value": "Renamed"})
    bad = [
        str(unit_id),  # the unit's bare number is not a Group's id
        f"G{unit_id}",
        f"g0{unit_id}",
        f"g+{unit_id}",
        f"g-{unit_id}",
        f"g{unit_id}.0",
        f"g{unit_id}x",
        f"gg{unit_id}",
        f" g{unit_id}",
        "g",
        "g0",
        "g99999999999999999999",
        "g\u0661",  # an Arabic-Indic digit one
        "null",
    ]
    for ident in bad:
        url = f"{SCIM}/Groups/{ident}"
        assert_scim_error(await client.get(url, headers=scim), 404)
        assert_scim_error(await client.put(url, headers=scim, json=body), 404)
        assert_scim_error(await client.patch(url, headers=scim, json=patch), 404)
        assert_scim_error(await client.delete(url, headers=scim), 404)
    kept = await _unit(db, unit_id)
    assert kept is not None and kept.name == "Sales"
