"""Managing units through the API: rename, move (the sub-tree re-levelled), delete, merge —
and every refusal: a cycle, moving the root, a sibling of the same name, a non-empty unit,
unknown or impossible merge targets. The unit spaces follow."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.settings import Settings, unit_space_levels
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Membership, Space
from atoll.wiring import make_sessions
from tests.factories import auth_headers, make_person, make_unit


async def _tree(db: AsyncSession) -> dict[str, tuple[int, int | None]]:
    """Every unit's path with its level and parent id, as stored."""
    rows = await db.execute(select(Unit.path, Unit.level, Unit.parent_id))
    return {path: (level, parent) for path, level, parent in rows.tuples().all()}


async def _world(db: AsyncSession) -> dict[str, Unit]:
    """Company → Engineering → Platform → Core, and Company → Sales → EMEA."""
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", eng)
    core = await make_unit(db, "Core", platform)
    sales = await make_unit(db, "Sales")
    emea = await make_unit(db, "EMEA", sales)
    root = await db.get(Unit, eng.parent_id)
    assert root is not None
    db.expunge_all()  # the tests read their ids and names as they were made
    return {
        "root": root,
        "eng": eng,
        "platform": platform,
        "core": core,
        "sales": sales,
        "emea": emea,
    }


async def _admin(client: httpx.AsyncClient, db: AsyncSession) -> dict[str, str]:
    admin = await make_person(db, role="admin", email="admin@example.com")
    return await auth_headers(client, admin)


async def test_rename_and_move_relevel_the_whole_subtree(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    h = await _admin(client, db)
    renamed = await client.patch(
        f"/api/v1/units/{units['platform'].id}", json={"name": "Platforms"}, headers=h
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["path"] == "Engineering/Platforms"
    assert "Engineering/Platforms/Core" in await _tree(db)

    moved = await client.patch(
        f"/api/v1/units/{units['platform'].id}",
        json={"parent_id": str(units["emea"].id)},
        headers=h,
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["path"], body["level"], body["parent_id"]) == (
        "Sales/EMEA/Platforms",
        3,
        str(units["emea"].id),
    )
    tree = await _tree(db)
    assert tree["Sales/EMEA/Platforms/Core"] == (4, units["platform"].id)
    assert "Engineering/Platforms" not in tree and "Engineering/Platforms/Core" not in tree

    # and up again, renamed at the same time: levels go down
    up = await client.patch(
        f"/api/v1/units/{units['platform'].id}",
        json={"parent_id": str(units["root"].id), "name": "Platform"},
        headers=h,
    )
    assert up.status_code == 200, up.text
    tree = await _tree(db)
    assert tree["Platform"] == (1, units["root"].id)
    assert tree["Platform/Core"] == (2, units["platform"].id)


async def test_refused_moves_and_renames_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    h = await _admin(client, db)
    before = await _tree(db)

    async def patch(unit: str, body: dict[str, str]) -> httpx.Response:
        return await client.patch(f"/api/v1/units/{units[unit].id}", json=body, headers=h)

    itself = await patch("eng", {"parent_id": str(units["eng"].id)})
    assert itself.status_code == 422 and "cycle" in itself.json()["detail"]
    below = await patch("eng", {"parent_id": str(units["core"].id)})
    assert below.status_code == 422 and "cycle" in below.json()["detail"]
    root = await patch("root", {"parent_id": str(units["sales"].id)})
    assert root.status_code == 422 and "top of the organisation" in root.json()["detail"]
    sibling = await patch("sales", {"name": "Engineering"})
    assert sibling.status_code == 409 and "already a unit named Engineering" in sibling.text
    clash = await client.post(
        "/api/v1/units", json={"name": "Core", "parent_id": str(units["emea"].id)}, headers=h
    )
    assert clash.status_code == 201
    move_clash = await patch("core", {"parent_id": str(units["emea"].id)})
    assert move_clash.status_code == 409
    unknown_parent = await patch("core", {"parent_id": "999999"})
    assert unknown_parent.status_code == 422 and unknown_parent.json()["errors"][0]["field"] == (
        "parent_id"
    )
    slash = await patch("core", {"name": "A/B"})
    assert slash.status_code == 422
    blank = await patch("core", {"name": "   "})
    assert blank.status_code == 422
    not_an_id = await patch("core", {"parent_id": "abc"})
    assert not_an_id.status_code == 422
    extra = await patch("core", {"colour": "red"})
    assert extra.status_code == 422
    missing = await client.patch("/api/v1/units/987654", json={"name": "X"}, headers=h)
    assert missing.status_code == 404
    after = await _tree(db)
    after.pop("EMEA/Core", None)
    after.pop("Sales/EMEA/Core")
    assert after == before


async def test_only_administrators_change_units(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    member = await make_person(db, unit_id=units["core"].id)
    h = await auth_headers(client, member)
    assert (
        await client.patch(f"/api/v1/units/{units['core'].id}", json={"name": "X"}, headers=h)
    ).status_code == 403
    assert (await client.delete(f"/api/v1/units/{units['core'].id}", headers=h)).status_code == 403
    guest = await make_person(db, kind="external")
    gh = await auth_headers(client, guest)
    assert (await client.delete(f"/api/v1/units/{units['core'].id}", headers=gh)).status_code == 403
    assert (await client.delete(f"/api/v1/units/{units['core'].id}")).status_code == 401


async def test_delete_an_empty_unit_and_refuse_a_full_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    h = await _admin(client, db)
    await make_person(db, unit_id=units["emea"].id)
    await make_person(db, unit_id=units["emea"].id)
    full = await client.delete(f"/api/v1/units/{units['emea'].id}", headers=h)
    assert full.status_code == 409
    assert "EMEA still holds 2 people" in full.json()["detail"]
    parent = await client.delete(f"/api/v1/units/{units['platform'].id}", headers=h)
    assert parent.status_code == 409 and "1 unit" in parent.json()["detail"]
    root = await client.delete(f"/api/v1/units/{units['root'].id}", headers=h)
    assert root.status_code == 409
    gone = await client.delete(f"/api/v1/units/{units['core'].id}", headers=h)
    assert gone.status_code == 204
    tree = await _tree(db)
    assert "Engineering/Platform/Core" not in tree and "Sales/EMEA" in tree
    assert (await client.delete(f"/api/v1/units/{units['core'].id}", headers=h)).status_code == 404


async def test_merge_moves_people_and_units_and_merges_same_names(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """The typo case: Engineering/Plattform/Core beside Engineering/Platform/Core."""
    units = await _world(db)
    h = await _admin(client, db)
    typo = await make_unit(db, "Plattform", units["eng"])
    typo_core = await make_unit(db, "Core", typo)
    extra = await make_unit(db, "Tools", typo)
    ana = await make_person(db, unit_id=typo.id)
    ben = await make_person(db, unit_id=typo_core.id)
    cy = await make_person(db, unit_id=units["core"].id)

    merged = await client.delete(
        f"/api/v1/units/{typo.id}", params={"merge_into": str(units["platform"].id)}, headers=h
    )
    assert merged.status_code == 204, merged.text
    tree = await _tree(db)
    assert "Engineering/Plattform" not in tree and "Engineering/Plattform/Core" not in tree
    assert tree["Engineering/Platform/Tools"] == (3, units["platform"].id)
    rows = await db.execute(
        select(Person.id, Person.unit_id).where(Person.id.in_([ana.id, ben.id, cy.id]))
    )
    assert dict(rows.tuples().all()) == {
        ana.id: units["platform"].id,
        ben.id: units["core"].id,
        cy.id: units["core"].id,
    }
    assert (await db.get(Unit, extra.id)) is not None


async def test_refused_merges(client: httpx.AsyncClient, db: AsyncSession) -> None:
    units = await _world(db)
    h = await _admin(client, db)
    await make_person(db, unit_id=units["platform"].id)

    async def merge(unit: str, into: str) -> httpx.Response:
        return await client.delete(
            f"/api/v1/units/{units[unit].id}", params={"merge_into": into}, headers=h
        )

    itself = await merge("platform", str(units["platform"].id))
    assert itself.status_code == 422 and "itself" in itself.json()["detail"]
    below = await merge("eng", str(units["core"].id))
    assert below.status_code == 422 and "its own units" in below.json()["detail"]
    unknown = await merge("platform", "999999")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "merge_into"
    garbage = await merge("platform", "nope")
    assert garbage.status_code == 422
    root = await merge("root", str(units["sales"].id))
    assert root.status_code == 409
    assert len(await _tree(db)) == 6


async def test_new_units_get_their_unit_space_at_the_levels_that_have_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    admin = await make_person(db, role="admin", email="admin@example.com")
    h = await auth_headers(client, admin)
    # No unit space anywhere yet: a new unit gets none.
    none_yet = await client.post(
        "/api/v1/units", json={"name": "Ops", "parent_id": str(units["eng"].id)}, headers=h
    )
    assert none_yet.status_code == 201
    assert (await db.scalar(select(Space.id).where(Space.kind == "unit"))) is None
    # The organisation has department spaces (level 2) ...
    await spaces_service.do_create_space(
        db,
        actor=admin,
        name="Platform team",
        kind="unit",
        visibility="open",
        unit_id=units["platform"].id,
    )
    await db.commit()
    person = await make_person(db, unit_id=units["platform"].id)
    # ... so a new department gets its space, with its people; a division (level 1) does not.
    made = await client.post(
        "/api/v1/units", json={"name": "Data", "parent_id": str(units["eng"].id)}, headers=h
    )
    division = await client.post("/api/v1/units", json={"name": "Legal"}, headers=h)
    assert made.status_code == division.status_code == 201
    data_id = int(made.json()["id"])
    space = (await db.execute(select(Space).where(Space.unit_id == data_id))).scalar_one()
    assert (space.name, space.kind, space.visibility, space.archived_at) == (
        "Data",
        "unit",
        "open",
        None,
    )
    legal = int(division.json()["id"])
    assert (await db.scalar(select(Space.id).where(Space.unit_id == legal))) is None
    # People moved into the new unit join its space.
    h2 = await auth_headers(client, admin)
    moved = await client.patch(
        f"/api/v1/people/{person.id}", json={"unit_id": str(data_id)}, headers=h2
    )
    assert moved.status_code == 200, moved.text
    assert await db.get(Membership, (space.id, person.id)) is not None


async def test_unit_spaces_follow_renames_and_are_archived_with_their_unit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    units = await _world(db)
    admin = await make_person(db, role="admin", email="admin@example.com")
    h = await auth_headers(client, admin)
    spaces = {}
    for key in ("platform", "emea"):
        made = await spaces_service.do_create_space(
            db,
            actor=admin,
            name=units[key].name,
            kind="unit",
            visibility="open",
            unit_id=units[key].id,
        )
        spaces[key] = made.id
    await db.commit()
    ana = (await make_person(db, unit_id=units["platform"].id)).id
    renamed = await client.patch(
        f"/api/v1/units/{units['platform'].id}", json={"name": "Platforms"}, headers=h
    )
    assert renamed.status_code == 200
    db.expire_all()
    assert (await db.get(Space, spaces["platform"])).name == "Platforms"  # type: ignore[union-attr]

    merged = await client.delete(
        f"/api/v1/units/{units['platform'].id}",
        params={"merge_into": str(units["emea"].id)},
        headers=h,
    )
    assert merged.status_code == 204, merged.text
    db.expire_all()
    old = await db.get(Space, spaces["platform"])
    assert old is not None and old.archived_at is not None and old.unit_id is None
    # Ana moved into EMEA with the merge, and joined its space.
    assert await db.get(Membership, (spaces["emea"], ana)) is not None
    # the archived space is still there to read, not gone
    got = await client.get(f"/api/v1/spaces/{spaces['platform']}", headers=h)
    assert got.status_code == 200 and got.json()["archived"] is True


async def test_unit_space_levels_setting_names_the_levels(app, settings) -> None:  # type: ignore[no-untyped-def]
    """``ATOLL_UNIT_SPACE_LEVELS=1,3``: divisions and teams get a space even where the
    organisation has none yet; ``none``: no level does; a typo stops the settings."""
    sessions = make_sessions(
        app.state.engine, settings.model_copy(update={"unit_space_levels": "1,3"})
    )
    async with sessions() as db:
        division = await make_unit(db, "Sales")
        department = await make_unit(db, "EMEA", division)
        team = await make_unit(db, "Field", department)
        rows = await db.execute(select(Space.unit_id, Space.name).where(Space.kind == "unit"))
        assert sorted(rows.tuples().all()) == sorted([(division.id, "Sales"), (team.id, "Field")])
    off = make_sessions(app.state.engine, settings.model_copy(update={"unit_space_levels": "none"}))
    async with off() as db:
        await make_unit(db, "Marketing")
        count = await db.scalar(select(func.count()).select_from(Space))
        assert count == 2
    assert unit_space_levels(" 2, 3 ") == frozenset({2, 3})
    assert unit_space_levels("") is None and unit_space_levels("None") == frozenset()
    with pytest.raises(ValidationError, match="is not a level of the tree"):
        Settings(unit_space_levels="2,teams")
