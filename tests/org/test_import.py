"""The org-chart import: idempotent, all-or-nothing, line-numbered reasons, on both faces."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org.importer import do_import_org
from atoll.org.models import Unit
from atoll.people.models import Person, PersonSkill
from tests.factories import auth_headers, make_person
from tests.people.helpers import (
    access_of,
    assert_lost_internal_access,
    build_world,
    events_after,
    newest_event,
)
from tests.web.helpers import csrf_of, sign_in

HEADER = "email,name,title,unit_path,kind,organization,relation,skills\n"
GOOD = HEADER + (
    "ana@example.com,Ana Silva,Engineer,Engineering/Platform/Core,member,,,Python;SQL\n"
    "ben@example.com,Ben Okafor,Account executive,Sales/EMEA/Field,member,,,\n"
    "marta@acme.example,Marta Kühn,Head of IT,,external,Acme Corp,customer,\n"
)


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_import_creates_people_and_units_then_is_idempotent(db: AsyncSession) -> None:
    report = await do_import_org(db, actor=None, data=GOOD)
    await db.commit()
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.units_created == 7  # root + Engineering/Platform/Core + Sales/EMEA/Field
    ana = (await db.execute(select(Person).where(Person.email == "ana@example.com"))).scalar_one()
    core = (
        await db.execute(select(Unit).where(Unit.path == "Engineering/Platform/Core"))
    ).scalar_one()
    assert ana.unit_id == core.id and core.level == 3
    marta = (
        await db.execute(select(Person).where(Person.email == "marta@acme.example"))
    ).scalar_one()
    assert (marta.kind, marta.role, marta.organization, marta.relation) == (
        "external",
        "guest",
        "Acme Corp",
        "customer",
    )
    assert marta.unit_id is None

    again = await do_import_org(db, actor=None, data=GOOD)
    await db.commit()
    assert (again.created, again.updated, again.unchanged, again.units_created) == (0, 0, 3, 0)
    assert await _count(db, Person) == 3
    assert await _count(db, Unit) == 7
    assert await _count(db, PersonSkill) == 2


async def test_reimport_moves_and_renames(db: AsyncSession) -> None:
    await do_import_org(db, actor=None, data=GOOD)
    await db.commit()
    moved = GOOD.replace(
        "Ben Okafor,Account executive,Sales/EMEA/Field", "Ben O.,Manager,Sales/Americas"
    )
    report = await do_import_org(db, actor=None, data=moved)
    await db.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    ben = (await db.execute(select(Person).where(Person.email == "ben@example.com"))).scalar_one()
    await db.refresh(ben)
    americas = (await db.execute(select(Unit).where(Unit.path == "Sales/Americas"))).scalar_one()
    assert (ben.name, ben.title, ben.unit_id) == ("Ben O.", "Manager", americas.id)


async def test_any_bad_row_changes_nothing_and_every_bad_row_is_reported(db: AsyncSession) -> None:
    await make_person(db, email="keep@example.com", name="Keep Me")
    bad = HEADER + (
        "ok@example.com,Okay Person,,Sales,member,,,\n"
        "not-an-email,Bad Email,,Sales,member,,,\n"
        "ext@x.example,No Org,,,external,,customer,\n"
        "ok@example.com,Twice,,Sales,member,,,\n"
        "kind@example.com,Bad Kind,,Sales,robot,,,\n"
        "nounit@example.com,No Unit,,,member,,,\n"
        "rel@x.example,Bad Relation,,,external,X,friend,\n"
    )
    report = await do_import_org(db, actor=None, data=bad)
    await db.rollback()
    lines = {r["line"]: r["message"] for r in report.rejected}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "email" in lines[3] and "organization" in lines[4] and "line 2" in lines[5]
    assert "kind" in lines[6] and "unit_path" in lines[7] and "relation" in lines[8]
    assert await _count(db, Person) == 1


async def test_api_import_reports_and_is_all_or_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin", email="admin@example.com")
    headers = {**await auth_headers(client, admin), "content-type": "text/csv"}
    preview = await client.post(
        "/api/v1/admin/import/org?dry_run=true", content=GOOD, headers=headers
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["created"] == 3 and preview.json()["applied"] is False
    assert await _count(db, Person) == 1

    done = await client.post("/api/v1/admin/import/org", content=GOOD, headers=headers)
    assert done.status_code == 200 and done.json()["applied"] is True
    assert await _count(db, Person) == 4

    broken = GOOD + "x,,,,member,,,\n"
    r = await client.post("/api/v1/admin/import/org", content=broken, headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["line"] == 5
    assert await _count(db, Person) == 4

    no_columns = await client.post(
        "/api/v1/admin/import/org", content="a,b\n1,2\n", headers=headers
    )
    assert no_columns.status_code == 422 and "missing" in no_columns.json()["detail"]

    member = await make_person(db)
    r = await client.post(
        "/api/v1/admin/import/org",
        content=GOOD,
        headers={**await auth_headers(client, member), "content-type": "text/csv"},
    )
    assert r.status_code == 403


async def test_units_api(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, role="admin")
    h = await auth_headers(client, admin)
    root = await client.post("/api/v1/units", json={"name": "Northwind"}, headers=h)
    assert root.status_code == 201 and root.json()["level"] == 0
    sales = await client.post("/api/v1/units", json={"name": "Sales"}, headers=h)
    assert sales.json()["parent_id"] == root.json()["id"] and sales.json()["level"] == 1
    emea = await client.post(
        "/api/v1/units", json={"name": "EMEA", "parent_id": sales.json()["id"]}, headers=h
    )
    assert emea.json()["level"] == 2 and emea.json()["path"] == "Sales/EMEA"
    dup = await client.post(
        "/api/v1/units", json={"name": "EMEA", "parent_id": sales.json()["id"]}, headers=h
    )
    assert dup.status_code == 409
    slash = await client.post("/api/v1/units", json={"name": "A/B"}, headers=h)
    assert slash.status_code == 422
    tree = (await client.get("/api/v1/units", headers=h)).json()
    assert [u["name"] for u in tree["items"]] == ["Northwind", "Sales", "EMEA"]
    assert tree["silo_level"] == 2
    member = await make_person(db)
    mh = await auth_headers(client, member)
    assert (await client.get("/api/v1/units", headers=mh)).status_code == 200
    assert (await client.post("/api/v1/units", json={"name": "X"}, headers=mh)).status_code == 403


async def test_an_import_that_makes_a_member_external_follows_the_same_rule(
    db: AsyncSession,
) -> None:
    world = await build_world(db)
    since = await newest_event(db)
    csv = HEADER + f"{world.ana.email},Ana Silva,,,external,Ana Consulting,partner,\n"
    report = await do_import_org(db, actor=None, data=csv)
    await db.commit()
    assert (report.updated, report.rejected) == (1, [])
    await assert_lost_internal_access(db, world, since)


async def test_an_import_that_makes_an_external_a_member_joins_their_units_spaces(
    db: AsyncSession,
) -> None:
    world = await build_world(db)
    since = await newest_event(db)
    csv = HEADER + f"{world.marta.email},Marta Kühn,,Sales,member,,,\n"
    report = await do_import_org(db, actor=None, data=csv)
    await db.commit()
    assert report.updated == 1
    marta = await access_of(db, world.marta.id)
    assert (marta.kind, marta.role, marta.unit_id) == ("member", "member", world.sales_id)
    assert marta.memberships == {"Acme project": "member", "Sales team": "member"}
    assert ("access.changed", None, world.marta.id, {"reason": "kind"}) in await events_after(
        db, since
    )


LAST_ADMIN = HEADER + (
    "someone@example.com,Some One,,Sales,member,,,\n"
    "admin@example.com,Ada Admin,,,external,Ada Consulting,partner,\n"
)


async def test_an_import_cannot_make_the_last_administrator_external(db: AsyncSession) -> None:
    admin = await make_person(db, role="admin", email="admin@example.com", name="Ada Admin")
    admin_id = admin.id
    report = await do_import_org(db, actor=None, data=LAST_ADMIN)
    await db.rollback()
    assert report.conflict and [r["line"] for r in report.rejected] == [3]
    assert "no active administrator" in report.rejected[0]["message"]
    after = await access_of(db, admin_id)
    assert (after.kind, after.role) == ("member", "admin")
    assert await _count(db, Person) == 1

    # With another administrator it goes through, and takes the role away.
    await make_person(db, role="admin", name="Second Admin")
    report = await do_import_org(db, actor=None, data=LAST_ADMIN)
    await db.commit()
    assert report.rejected == [] and report.updated == 1
    after = await access_of(db, admin_id)
    assert (after.kind, after.role) == ("external", "guest")


async def test_the_api_and_the_page_refuse_an_import_that_leaves_no_administrator(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin", email="admin@example.com", name="Ada Admin")
    headers = {**await auth_headers(client, admin), "content-type": "text/csv"}
    for query in ("?dry_run=true", ""):
        r = await client.post(
            f"/api/v1/admin/import/org{query}", content=LAST_ADMIN, headers=headers
        )
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["line"] == 3
        assert "no active administrator" in r.json()["errors"][0]["message"]
    assert await _count(db, Person) == 1

    await sign_in(client, admin.email)
    token = csrf_of((await client.get("/admin/import")).text)
    preview = await client.post(
        "/admin/import",
        data={"csrf_token": token},
        files={"file": ("org.csv", LAST_ADMIN, "text/csv")},
    )
    assert preview.status_code == 409
    assert "Nothing was imported" in preview.text and "<td>3</td>" in preview.text
    assert "would leave no active administrator" in preview.text
    assert "Apply this import" not in preview.text


async def test_imported_and_created_names_lose_invisible_controls(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    chart = HEADER + (
        "ana@example.com,Ana\u202e Silva,En\u200bgineer,Sales\u2067/EMEA,member,,,Py\u200fthon\n"
        "marta@acme.example,Marta,,,external,Acme\ufeff Corp,customer,\n"
    )
    report = await do_import_org(db, actor=None, data=chart)
    await db.commit()
    assert not report.rejected
    people = {p.email: p for p in (await db.execute(select(Person))).scalars()}
    ana = people["ana@example.com"]
    assert (ana.name, ana.title) == ("Ana Silva", "Engineer")
    assert people["marta@acme.example"].organization == "Acme Corp"
    paths = set((await db.execute(select(Unit.path))).scalars())
    assert "Sales/EMEA" in paths
    assert set((await db.execute(select(PersonSkill.name))).scalars()) == {"Python"}
    admin = await make_person(db, role="admin")
    unit = await client.post(
        "/api/v1/units", json={"name": "Leg\u202eal"}, headers=await auth_headers(client, admin)
    )
    assert unit.status_code == 201 and unit.json()["name"] == "Legal"
