"""The org-chart import's report and its newer columns and options: every person and unit it
creates, changes, moves or deactivates, named; reporting lines (the ``manager`` column) with
cycles and unknown managers reported per row; unit paths that look like others; and
``deactivate_missing``."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.db.engine import make_engine, make_sessionmaker
from atoll.kit.settings import Settings
from atoll.org.import_report import similar_paths
from atoll.org.importer import do_import_org
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces import service as spaces_service
from atoll.spaces.models import Space
from tests.commands import atoll
from tests.factories import auth_headers, make_person, make_unit

HEADER = "email,name,title,unit_path,kind,organization,relation,manager\n"
ORG = HEADER + (
    "boss@example.com,Bo Boss,CEO,Management,member,,,\n"
    "ana@example.com,Ana Silva,Engineer,Engineering/Platform/Core,member,,,boss@example.com\n"
    "ben@example.com,Ben Okafor,Sales,Sales/EMEA,member,,,ana@example.com\n"
    "marta@acme.example,Marta Kühn,Head of IT,,external,Acme Corp,customer,\n"
)


async def _managers(db: AsyncSession) -> dict[str, str | None]:
    boss = Person.__table__.alias("boss")
    rows = await db.execute(
        select(Person.email, boss.c.email).outerjoin(boss, boss.c.id == Person.manager_id)
    )
    return dict(rows.tuples().all())


async def test_report_names_who_and_what_is_created_changed_and_moved(db: AsyncSession) -> None:
    first = await do_import_org(db, actor=None, data=ORG)
    await db.commit()
    assert first.created == 4
    assert {p["email"]: p["unit"] for p in first.people_created} == {
        "boss@example.com": "Management",
        "ana@example.com": "Engineering/Platform/Core",
        "ben@example.com": "Sales/EMEA",
        "marta@acme.example": "Acme Corp",
    }
    assert first.units_new == [
        "Engineering",
        "Engineering/Platform",
        "Engineering/Platform/Core",
        "Management",
        "Sales",
        "Sales/EMEA",
    ]
    assert first.units_created == 7  # and the root
    changed = ORG.replace("Ben Okafor,Sales,Sales/EMEA", "Ben Okafor,Manager,Sales/Americas")
    changed = changed.replace("Ana Silva,Engineer", "Ana Silva,Lead")
    second = await do_import_org(db, actor=None, data=changed, apply=False)
    await db.rollback()
    assert (second.created, second.updated, second.unchanged) == (0, 2, 2)
    assert second.units_new == ["Sales/Americas"]
    assert second.people_moved == [
        {
            "email": "ben@example.com",
            "name": "Ben Okafor",
            "from": "Sales/EMEA",
            "to": "Sales/Americas",
        }
    ]
    assert {p["email"]: p["fields"] for p in second.people_changed} == {
        "ana@example.com": ["title"],
        "ben@example.com": ["title"],
    }
    # a preview changes nothing
    assert (await db.scalar(select(Unit.id).where(Unit.path == "Sales/Americas"))) is None


async def test_manager_column_sets_reporting_lines(db: AsyncSession) -> None:
    report = await do_import_org(db, actor=None, data=ORG)
    await db.commit()
    assert report.warnings == []
    assert await _managers(db) == {
        "boss@example.com": None,
        "ana@example.com": "boss@example.com",
        "ben@example.com": "ana@example.com",
        "marta@acme.example": None,
    }
    # a change of manager is a change of the row; no column leaves managers as they are
    moved = ORG.replace(
        "Sales/EMEA,member,,,ana@example.com", "Sales/EMEA,member,,,boss@example.com"
    )
    again = await do_import_org(db, actor=None, data=moved)
    await db.commit()
    assert again.people_changed == [
        {"email": "ben@example.com", "name": "Ben Okafor", "fields": ["manager"]}
    ]
    without = "\n".join(line.rsplit(",", 1)[0] for line in ORG.splitlines()) + "\n"
    kept = await do_import_org(db, actor=None, data=without)
    await db.commit()
    assert kept.updated == 0
    assert (await _managers(db))["ben@example.com"] == "boss@example.com"


async def test_manager_cycles_and_unknown_managers_are_reported_per_row(
    db: AsyncSession,
) -> None:
    data = HEADER + (
        "a@example.com,A,,Team,member,,,b@example.com\n"
        "b@example.com,B,,Team,member,,,a@example.com\n"
        "c@example.com,C,,Team,member,,,ghost@example.com\n"
        "d@example.com,D,,Team,member,,,d@example.com\n"
        "e@example.com,E,,Team,member,,,not an address\n"
        "f@example.com,F,,Team,member,,,a@example.com\n"
    )
    report = await do_import_org(db, actor=None, data=data)
    await db.commit()
    assert report.rejected == [] and report.created == 6
    problems = {w["line"]: w["message"] for w in report.warnings if w["kind"] == "manager"}
    assert set(problems) == {3, 4, 5, 6}
    assert "makes a cycle: b@example.com → a@example.com → b@example.com" in problems[3]
    assert "ghost@example.com is nobody in the file or in Atoll" in problems[4]
    assert "cannot be their own manager" in problems[5]
    assert "not an address is nobody" in problems[6]
    assert await _managers(db) == {
        "a@example.com": "b@example.com",
        "b@example.com": None,
        "c@example.com": None,
        "d@example.com": None,
        "e@example.com": None,
        "f@example.com": "a@example.com",
    }
    # A cycle through someone already in Atoll, not in the file: refused the same way.
    closing = HEADER + "b@example.com,B,,Team,member,,,f@example.com\n"
    loop = await do_import_org(db, actor=None, data=closing)
    await db.commit()
    assert [w["line"] for w in loop.warnings] == [2]
    assert (
        "b@example.com → f@example.com → a@example.com → b@example.com"
        in (loop.warnings[0]["message"])
    )


async def test_near_duplicate_unit_paths_are_warned_of(db: AsyncSession) -> None:
    platform = await make_unit(db, "Platform", await make_unit(db, "engineering"))
    await make_unit(db, "Core", platform)
    data = HEADER + (
        "a@example.com,A,,engineering/Plattform/Core,member,,,\n"
        "b@example.com,B,,Engineering/Platform/Core,member,,,\n"
        "c@example.com,C,,engineering/Plat form,member,,,\n"
        "d@example.com,D,,Sales/Team 1,member,,,\n"
        "e@example.com,E,,Sales/Team 2,member,,,\n"
        "f@example.com,F,,Sales/UK,member,,,\n"
        "g@example.com,G,,Sales/US,member,,,\n"
        "h@example.com,H,,Marketing,member,,,\n"
        "i@example.com,I,,Marketting,member,,,\n"
    )
    report = await do_import_org(db, actor=None, data=data, apply=False)
    await db.rollback()
    pairs = {(w["path"], w["similar"]) for w in report.warnings if w["kind"] == "similar_unit"}
    assert pairs == {
        ("engineering/Plattform", "engineering/Platform"),  # one letter (and not again below)
        ("Engineering", "engineering"),  # case
        ("engineering/Plat form", "engineering/Platform"),  # spacing
        ("engineering/Plat form", "engineering/Plattform"),  # spacing and one letter
        ("Marketing", "Marketting"),  # one letter, both new
    }
    messages = " ".join(w["message"] for w in report.warnings)
    assert "differs from engineering/Platform (an existing unit) by one letter" in messages
    assert "only by case or spacing" in messages


def test_similar_paths_scale_and_skip_digits() -> None:
    existing = [f"Division {i}/Department {j}" for i in range(40) for j in range(40)]
    assert similar_paths(["Division 1/Department 41"], existing) == []
    found = similar_paths(["Division 1/Departmnt 4"], existing)
    assert [w["similar"] for w in found] == ["Division 1/Department 4"]


async def test_deactivate_missing_members_only_never_the_last_admin(
    db: AsyncSession,
) -> None:
    await do_import_org(db, actor=None, data=ORG)
    await db.commit()
    await make_person(db, email="root@example.com", role="admin", name="Root")
    await make_person(db, kind="external", email="guest@other.example")
    shorter = "\n".join(ORG.splitlines()[:2]) + "\n"  # only the boss stays
    preview = await do_import_org(
        db, actor=None, data=shorter, deactivate_missing=True, apply=False
    )
    await db.rollback()
    assert preview.people_deactivated == [
        {"email": "ana@example.com", "name": "Ana Silva"},
        {"email": "ben@example.com", "name": "Ben Okafor"},
    ]
    assert preview.deactivated == 2
    kept = [w for w in preview.warnings if w["kind"] == "kept_active"]
    assert len(kept) == 1 and "root@example.com" in kept[0]["message"]
    assert "last active administrator" in kept[0]["message"]
    # nothing happened yet
    active = await db.scalars(select(Person.email).where(Person.is_active.is_(True)))
    assert len(active.all()) == 6

    report = await do_import_org(db, actor=None, data=shorter, deactivate_missing=True)
    await db.commit()
    assert report.deactivated == 2
    rows = await db.execute(select(Person.email, Person.is_active))
    states = dict(rows.tuples().all())
    assert states == {
        "boss@example.com": True,
        "ana@example.com": False,
        "ben@example.com": False,
        "marta@acme.example": True,  # externals are not in the org chart
        "root@example.com": True,  # the last administrator
        "guest@other.example": True,
    }


async def test_deactivate_missing_through_the_api(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """The caller is not deactivated, though absent from the file; since they are an
    administrator, another administrator absent from it goes like anyone."""
    admin = await make_person(db, email="admin@example.com", role="admin", name="Admin")
    await make_person(db, email="other@example.com", role="admin", name="Other")
    leaver = await make_person(db, email="leaver@example.com", name="Leaver")
    h = await auth_headers(client, admin)
    lh = await auth_headers(client, leaver)
    data = HEADER + "boss@example.com,Bo Boss,CEO,Management,member,,,\n"
    preview = await client.post(
        "/api/v1/admin/import/org",
        params={"dry_run": "true", "deactivate_missing": "true"},
        content=data,
        headers={**h, "Content-Type": "text/csv"},
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["applied"] is False and body["deactivated"] == 2
    assert body["people_deactivated"] == [
        {"email": "leaver@example.com", "name": "Leaver"},
        {"email": "other@example.com", "name": "Other"},
    ]
    assert any(
        w["kind"] == "kept_active" and "admin@example.com" in w["message"] for w in body["warnings"]
    )
    assert len(body["warnings"]) == 1

    done = await client.post(
        "/api/v1/admin/import/org",
        params={"deactivate_missing": "true"},
        content=data,
        headers={**h, "Content-Type": "text/csv"},
    )
    assert done.status_code == 200, done.text
    db.expire_all()
    states = dict((await db.execute(select(Person.email, Person.is_active))).tuples().all())
    assert states["leaver@example.com"] is False
    assert states["admin@example.com"] is True and states["other@example.com"] is False
    # the leaver is signed out everywhere
    assert (await client.get("/api/v1/me", headers=lh)).status_code == 401
    assert (await client.get("/api/v1/me", headers=h)).status_code == 200


async def test_import_opens_unit_spaces_for_new_units_at_levels_that_have_them(
    db: AsyncSession,
) -> None:
    await do_import_org(db, actor=None, data=ORG)
    await db.commit()
    admin = await make_person(db, role="admin", email="admin@example.com")
    core = (
        await db.execute(select(Unit).where(Unit.path == "Engineering/Platform/Core"))
    ).scalar_one()
    await spaces_service.do_create_space(
        db, actor=admin, name="Core", kind="unit", visibility="open", unit_id=core.id
    )
    await db.commit()
    more = ORG + "zoe@example.com,Zoe,,Engineering/Platform/Data,member,,,\n"
    await do_import_org(db, actor=None, data=more)
    await db.commit()
    data_unit = (
        await db.execute(select(Unit).where(Unit.path == "Engineering/Platform/Data"))
    ).scalar_one()
    space = (await db.execute(select(Space).where(Space.unit_id == data_unit.id))).scalar_one()
    assert space.kind == "unit" and space.name == "Data"


async def test_cli_deactivate_missing_previews_then_deactivates(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    made = await atoll(
        cli_env,
        "create-admin",
        "--email",
        "root@example.com",
        "--name",
        "Root",
        "--password",
        "long enough pw",
    )
    assert made.exit_code == 0, made.output
    first = tmp_path / "first.csv"
    first.write_text(
        HEADER + "a@example.com,A,,Sales,member,,,\nb@example.com,B,,Sales,member,,,a@example.com\n"
    )
    assert (await atoll(cli_env, "import-org", str(first))).exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "a@example.com,A,,Sales,member,,,\n")
    dry = await atoll(cli_env, "import-org", "--deactivate-missing", "--dry-run", str(second))
    said = " ".join(dry.output.split())
    assert dry.exit_code == 0, dry.output
    assert "would be deactivated: B <b@example.com>" in said
    assert "Root (root@example.com) is not in the file but is the last active administrator" in (
        said
    )
    assert "1 would be deactivated." in said
    assert [active for _, active in await _activity(cli_env)] == [True, True, True]
    done = await atoll(cli_env, "import-org", "--deactivate-missing", str(second))
    assert done.exit_code == 0, done.output
    assert "1 deactivated." in " ".join(done.output.split())
    assert await _activity(cli_env) == [
        ("a@example.com", True),
        ("b@example.com", False),
        ("root@example.com", True),
    ]


async def _activity(env: dict[str, str]) -> list[tuple[str, bool]]:
    engine = make_engine(
        Settings(database_url=env["ATOLL_DATABASE_URL"], var_dir=Path(env["ATOLL_VAR_DIR"]))
    )
    try:
        async with make_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Person.email, Person.is_active).order_by(Person.email)
            )
            return [(e, bool(a)) for e, a in rows.tuples().all()]
    finally:
        await engine.dispose()


async def test_cli_names_the_first_changes_of_each_kind_or_all(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "".join(f"p{i}@example.com,P {i},,Team,member,,,\n" for i in range(60)))
    some = await atoll(cli_env, "import-org", "--dry-run", str(big))
    assert some.exit_code == 0, some.output
    assert some.output.count("  new: ") == 50 and "… and 10 more (--list-all" in some.output
    every = await atoll(cli_env, "import-org", "--dry-run", "--list-all", str(big))
    assert every.output.count("  new: ") == 60 and "more (--list-all" not in every.output
