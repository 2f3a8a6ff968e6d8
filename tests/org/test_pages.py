"""Organisation management in the browser: the units page renames, moves, merges and deletes
units (forms with CSRF, readable refusals); *People & roles* moves a person to another unit;
the profile shows the reporting line; the import page previews with its warnings and
deactivates the members absent from the file when asked."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.org.importer import do_import_org
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from tests.factories import make_person, make_unit
from tests.web.helpers import csrf_of, sign_in


async def _signed_in_admin(client: httpx.AsyncClient, db: AsyncSession) -> str:
    await make_person(db, role="admin", email="admin@example.com", name="Ada Admin")
    await sign_in(client, "admin@example.com")
    return csrf_of((await client.get("/admin/units")).text)


async def _paths(db: AsyncSession) -> set[str]:
    return set((await db.scalars(select(Unit.path))).all())


async def test_units_page_renames_moves_merges_and_deletes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", eng)
    sales = await make_unit(db, "Sales")
    typo = await make_unit(db, "Sails")
    empty = await make_unit(db, "Empty")
    ids = {u.name: u.id for u in (eng, platform, sales, typo, empty)}
    eng_parent = eng.parent_id
    person = await make_person(db, unit_id=typo.id)
    person_id = person.id
    token = await _signed_in_admin(client, db)

    tree = (await client.get("/admin/units")).text
    for name, uid in ids.items():
        link = f'<a href="/admin/units/{uid}" class="small">Change'
        assert f'{link}<span class="visually-hidden"> {name}</span></a>' in tree
    page = (await client.get(f"/admin/units/{ids['Platform']}")).text
    assert '<label for="rename">New name of Platform</label>' in page
    assert '<label for="move">Move Platform into</label>' in page
    assert '<label for="merge">Merge Platform into</label>' in page
    # a unit with people or units in it offers no delete button; an empty one does
    assert "Delete Empty" in (await client.get(f"/admin/units/{ids['Empty']}")).text
    sails = (await client.get(f"/admin/units/{ids['Sails']}")).text
    assert "Delete Sails" not in sails and "Only an empty unit can be deleted" in sails
    # a unit cannot be moved below itself: its own units are not offered
    engineering = (await client.get(f"/admin/units/{ids['Engineering']}")).text
    move_select = engineering.split('id="move"', 1)[1].split("</select>", 1)[0]
    assert f'value="{ids["Platform"]}"' not in move_select
    assert f'value="{ids["Sales"]}"' in move_select
    root = (await client.get(f"/admin/units/{eng_parent}")).text
    assert "This is the top of the organisation" in root and 'id="move"' not in root
    assert (await client.get("/admin/units/999999")).status_code == 404

    async def act(unit: str, **fields: str) -> httpx.Response:
        return await client.post(f"/admin/units/{ids[unit]}", data={"csrf_token": token, **fields})

    renamed = await act("Platform", action="rename", name="Platforms")
    assert renamed.status_code == 303 and "done=renamed" in renamed.headers["location"]
    assert "Unit renamed." in (await client.get(renamed.headers["location"])).text
    moved = await act("Platform", action="move", parent_id=str(ids["Sales"]))
    assert moved.status_code == 303
    assert "Sales/Platforms" in await _paths(db)
    merged = await act("Sails", action="merge", merge_into=str(ids["Sales"]))
    assert merged.status_code == 303 and f"#unit-{ids['Sales']}" in merged.headers["location"]
    assert (await db.scalar(select(Person.unit_id).where(Person.id == person_id))) == ids["Sales"]
    deleted = await act("Empty", action="delete")
    assert deleted.status_code == 303
    assert "Unit deleted." in (await client.get(deleted.headers["location"])).text
    assert await _paths(db) == {"", "Engineering", "Sales", "Sales/Platforms"}


async def test_units_page_refusals_are_readable(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", eng)
    ids = {"Engineering": eng.id, "Platform": platform.id}
    token = await _signed_in_admin(client, db)

    async def act(unit: str, **fields: str) -> httpx.Response:
        return await client.post(f"/admin/units/{ids[unit]}", data={"csrf_token": token, **fields})

    cycle = await act("Engineering", action="move", parent_id=str(ids["Platform"]))
    assert cycle.status_code == 422
    assert 'role="alert"' in cycle.text and "makes a cycle" in html.unescape(cycle.text)
    full = await act("Engineering", action="delete")
    assert full.status_code == 409 and "Engineering still holds 1 unit" in full.text
    no_target = await act("Platform", action="merge", merge_into="")
    assert no_target.status_code == 422 and "choose the unit to merge it into" in no_target.text
    into_itself = await act("Platform", action="merge", merge_into=str(ids["Platform"]))
    assert into_itself.status_code == 422 and "merged into itself" in into_itself.text
    blank = await act("Platform", action="rename", name="  ")
    assert blank.status_code == 422 and "must not be empty" in blank.text
    odd = await act("Platform", action="explode")
    assert odd.status_code == 422
    forged = await client.post(
        f"/admin/units/{ids['Platform']}", data={"csrf_token": "0" * 40, "action": "delete"}
    )
    assert forged.status_code == 403
    assert await _paths(db) == {"", "Engineering", "Engineering/Platform"}
    gone = await client.post("/admin/units/999999", data={"csrf_token": token, "action": "delete"})
    assert gone.status_code == 404

    member = await make_person(db, email="member@example.com")
    assert member.id
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, "member@example.com")
        mtoken = csrf_of((await other.get("/")).text)
        denied = await other.post(
            f"/admin/units/{ids['Platform']}", data={"csrf_token": mtoken, "action": "delete"}
        )
        assert denied.status_code == 403


async def test_people_and_roles_moves_a_person_to_another_unit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    eng = await make_unit(db, "Engineering")
    sales = await make_unit(db, "Sales")
    sales_id = sales.id
    ana = await make_person(db, name="Ana Silva", email="ana@example.com", unit_id=eng.id)
    ana_id = ana.id
    await make_person(db, role="admin", email="admin@example.com")
    await sign_in(client, "admin@example.com")
    page = (await client.get("/admin/people", params={"q": "ana@"})).text
    assert f'<label for="move-{ana_id}">New unit of Ana Silva</label>' in page
    moved = await client.post(
        f"/admin/people/{ana_id}",
        data={"csrf_token": csrf_of(page), "action": "unit", "unit_id": str(sales_id)},
    )
    assert moved.status_code == 303
    assert (await db.scalar(select(Person.unit_id).where(Person.id == ana_id))) == sales_id
    bad = await client.post(
        f"/admin/people/{ana_id}",
        data={"csrf_token": csrf_of(page), "action": "unit", "unit_id": "999999"},
    )
    assert bad.status_code == 422 and "no unit has this id" in bad.text


async def test_profile_shows_manager_and_reports_and_api_gives_manager_id(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    data = (
        "email,name,title,unit_path,kind,organization,relation,manager\n"
        "boss@example.com,Bo Boss,CEO,Management,member,,,\n"
        "ana@example.com,Ana Silva,Engineer,Engineering,member,,,boss@example.com\n"
    )
    await do_import_org(db, actor=None, data=data)
    await db.commit()
    ids = dict((await db.execute(select(Person.email, Person.id))).tuples().all())
    await make_person(db, email="viewer@example.com", name="Viewer")
    await sign_in(client, "viewer@example.com")
    ana = (await client.get(f"/people/{ids['ana@example.com']}")).text
    assert re.search(rf'Reports to <a href="/people/{ids["boss@example.com"]}">Bo Boss</a>', ana)
    boss = (await client.get(f"/people/{ids['boss@example.com']}")).text
    assert 'aria-label="People who report to Bo Boss"' in boss and "Ana Silva" in boss
    me = await client.get(f"/api/v1/people/{ids['ana@example.com']}")
    assert me.status_code == 200 and me.json()["manager_id"] == str(ids["boss@example.com"])


async def test_import_page_previews_warnings_and_deactivates_missing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    await make_unit(db, "Platform", await make_unit(db, "Engineering"))
    await make_person(db, email="leaver@example.com", name="Lee Leaver")
    token = await _signed_in_admin(client, db)
    page = (await client.get("/admin/import")).text
    assert '<label for="deactivate-missing">' in page
    data = (
        "email,name,title,unit_path,kind,organization,relation\n"
        "ana@example.com,Ana,,Engineering/Plattform/Core,member,,\n"
    )
    preview = await client.post(
        "/admin/import",
        data={"csrf_token": token, "deactivate_missing": "yes"},
        files={"file": ("org.csv", data, "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    text = html.unescape(preview.text)
    assert "Check these first: 2 warnings" in text
    assert "Engineering/Plattform differs from Engineering/Platform" in text
    assert "Ada Admin (admin@example.com) is not in the file but is running this import" in text
    assert "To be deactivated: 1" in text and "Lee Leaver (leaver@example.com)" in text
    assert '<input type="hidden" name="deactivate_missing" value="yes">' in preview.text
    assert await db.scalar(select(Person.is_active).where(Person.email == "leaver@example.com"))
    confirm = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert confirm
    done = await client.post(
        "/admin/import/confirm",
        data={"csrf_token": token, "token": confirm[1], "deactivate_missing": "yes"},
    )
    assert done.status_code == 200 and "Deactivated: 1" in html.unescape(done.text)
    states = dict((await db.execute(select(Person.email, Person.is_active))).tuples().all())
    assert states == {
        "admin@example.com": True,
        "leaver@example.com": False,
        "ana@example.com": True,
    }


async def test_a_unit_added_on_the_page_gets_its_unit_space(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    eng = await make_unit(db, "Engineering")
    platform = await make_unit(db, "Platform", eng)
    eng_id = eng.id
    admin = await make_person(db, role="admin", email="admin@example.com", name="Ada Admin")
    await spaces_service.do_create_space(
        db, actor=admin, name="Platform", kind="unit", visibility="open", unit_id=platform.id
    )
    await db.commit()
    await sign_in(client, "admin@example.com")
    token = csrf_of((await client.get("/admin/units")).text)
    added = await client.post(
        "/admin/units", data={"csrf_token": token, "name": "Data", "parent_id": str(eng_id)}
    )
    assert added.status_code == 303
    data_id = await db.scalar(select(Unit.id).where(Unit.path == "Engineering/Data"))
    space = (await db.execute(select(Space).where(Space.unit_id == data_id))).scalar_one()
    assert (space.name, space.kind) == ("Data", "unit")
