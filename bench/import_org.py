"""Org-chart CSV import of 100,000 rows (the requirement: under a minute) on fresh databases.

The database starts with an administrator and a unit space for the company, each division and
each department (the import creates the teams), so the import also keeps those spaces' members
in step. Cases, each in its own transaction as the CLI runs it: the first import (everyone
created), the same file again (nothing changes), a file with 10% of the rows changed, and the
dry-run preview of the original file. Baseline ("ceiling"): a bare bulk INSERT of the same rows
into a scratch table through the same engine."""

from __future__ import annotations

import csv
import io
import random
import time
import unicodedata
from collections.abc import Awaitable, Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from atoll.kit.settings import Settings
from atoll.org import service as org_service
from atoll.org.importer import ImportReport, do_import_org
from atoll.people.models import Person
from atoll.people.passwords import Hashing
from atoll.people.service import do_create_person
from atoll.spaces.models import Membership, Space
from atoll.spaces.service import do_create_space
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.databases import fresh_engine

DEFAULT_ROWS = 100_000
SEED = 20240611
CEILING_TRIES = 3
COLUMNS = ("email", "name", "title", "unit_path", "kind", "organization", "relation", "skills")


def _words(text: str) -> list[str]:
    """Word lists are written "|"-separated, so that a name may contain spaces."""
    return text.split("|")


DIVISIONS = _words(
    "Sales|Engineering|Operations|Finance|Marketing|Product|Support|Legal|People|Research"
)
DEPARTMENTS = _words(
    "EMEA|Americas|APAC|Platform|Mobile|Data|Security|Procurement|Logistics|Accounting|Treasury"
    "|Brand|Growth|Design|Research Ops|Customer Care|Compliance|Recruiting|Learning|Labs"
)
TEAMS = _words(
    "Field|Inside|Partners|Core|Tools|Infra|QA|Analytics|Billing|Payroll|Content|Events|Web|API"
    "|Onboarding|Escalations|Contracts|Benefits|Applied|Frontier"
)
FIRST = _words(
    "Ada|Ben|Chloé|Dmitri|Elif|Farah|Gustav|Hana|Ibrahim|Jana|Kofi|Lea|Mateo|Nadia|Oskar|Priya"
    "|Quentin|Rosa|Sven|Tomás|Uma|Viktor|Wen|Ximena|Yusuf|Zoë|Aiko|Bruno|Carla|Dariusz"
)
LAST = _words(
    "Okafor|Schmidt|García|Nakamura|Kowalski|Haddad|Lindqvist|Rossi|Dubois|Novak|Fernandes|Kim"
    "|O'Brien|Van Dijk|Petrov|Müller|Singh|Moreau|Andersen|Costa|Yilmaz|Chen|Nguyen|Silva|Meyer"
)
TITLES = _words(
    "Account Executive|Software Engineer|Senior Software Engineer|Team Lead|Product Manager"
    "|Designer|Data Analyst|Support Specialist|Accountant|Recruiter|Legal Counsel"
    "|Operations Manager|Director|Researcher|"  # the empty last one: no title
)
SKILLS = _words(
    "Python|SQL|Negotiation|Kubernetes|Figma|Excel|German|French|Spanish|Mandarin"
    "|Public speaking|Contract law|Forecasting|React|PostgreSQL|Go|Rust|Accessibility|SEO"
    "|Copywriting|Payroll|IFRS|Statistics|Machine learning|Project management|Scrum"
    "|Customer success|Salesforce|Security audits|Incident response|Hiring|Coaching"
)
COMPANIES = _words("Acme|Globex|Initech|Umbrella|Stark|Wayne|Tyrell|Cyberdyne|Hooli|Vandelay")
ORGANIZATIONS = [f"{company} {form}" for company in COMPANIES for form in ("GmbH", "Ltd", "SA")]


def ascii_local_part(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded.lower().replace("'", "").replace(" ", "")


def unit_tree(rng: random.Random) -> list[str]:
    """About 10 divisions, 50 departments and 250 teams, as paths; deepest first."""
    paths: list[str] = []
    for division in DIVISIONS:
        for department in rng.sample(DEPARTMENTS, rng.randint(4, 6)):
            for team in rng.sample(TEAMS, rng.randint(3, 7)):
                paths.append(f"{division}/{department}/{team}")
            paths.append(f"{division}/{department}")
    return paths


def generate_rows(count: int, seed: int = SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    units = unit_tree(rng)
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = ascii_local_part(f"{first}.{last}")
        skills = ";".join(rng.sample(SKILLS, rng.randint(0, 3)))
        if rng.random() < 0.97:
            rows.append(
                {
                    "email": f"{local}.{i}@atoll.example",
                    "name": f"{first} {last}",
                    "title": rng.choice(TITLES),
                    "unit_path": rng.choice(units),
                    "kind": "member",
                    "organization": "",
                    "relation": "",
                    "skills": skills,
                }
            )
        else:
            organization = rng.choice(ORGANIZATIONS)
            rows.append(
                {
                    "email": f"{local}.{i}@{organization.split()[0].lower()}.example",
                    "name": f"{first} {last}",
                    "title": rng.choice(TITLES),
                    "unit_path": "",
                    "kind": "external",
                    "organization": organization,
                    "relation": rng.choice(("customer", "partner", "public")),
                    "skills": skills,
                }
            )
    return rows


def change_rows(
    rows: list[dict[str, str]], share: float, seed: int = SEED
) -> tuple[list[dict[str, str]], int]:
    """A copy with ``share`` of the rows given a new title or (members) a new unit."""
    rng = random.Random(seed + 1)
    units = sorted({r["unit_path"] for r in rows if r["unit_path"]})
    changed = [dict(r) for r in rows]
    picked = rng.sample(range(len(rows)), int(len(rows) * share))
    for i in picked:
        row = changed[i]
        if row["kind"] == "member" and rng.random() < 0.5:
            row["unit_path"] = rng.choice([u for u in units[:50] if u != row["unit_path"]])
        else:
            row["title"] = f"{row['title']} (acting)".strip()
    return changed, len(picked)


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


Timed = tuple[float, ImportReport]


async def _timed_import(engine: AsyncEngine, data: bytes, *, apply: bool = True) -> Timed:
    """One import in one transaction, as ``atoll import-org`` runs it (commit included)."""
    maker = make_sessions(engine, Settings())
    started = time.perf_counter()
    async with maker() as session:
        report = await do_import_org(session, actor=None, data=data, apply=apply)
        if apply and not report.rejected:
            await session.commit()
        else:
            await session.rollback()
    return time.perf_counter() - started, report


async def _ceiling(engine: AsyncEngine, rows: list[dict[str, str]]) -> float:
    """Seconds for a bare bulk INSERT of the same rows into a scratch table, committed (best of
    a few tries: it is cheap, and the best is the least disturbed by other work on the machine)."""
    scratch = Table(
        "bench_scratch_person",
        MetaData(),
        Column("id", Integer, primary_key=True),
        *(Column(name, String(320)) for name in COLUMNS),
    )
    async with engine.begin() as conn:
        await conn.run_sync(scratch.metadata.create_all)
    try:
        best = float("inf")
        for _ in range(CEILING_TRIES):
            started = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(insert(scratch), rows)
            best = min(best, time.perf_counter() - started)
            async with engine.begin() as conn:
                await conn.execute(scratch.delete())
        return best
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(scratch.metadata.drop_all)


async def _unit_spaces(engine: AsyncEngine, rows: list[dict[str, str]]) -> int:
    """An administrator, and an open unit space for the company and each unit above the teams."""
    settings = Settings()
    async with make_sessions(engine, settings)() as session:
        root = await org_service.do_create_unit(session, actor=None, name="Atoll Corp")
        admin = await do_create_person(
            session,
            actor=None,
            hashing=Hashing.of(settings),
            name="Bench Admin",
            email="admin@atoll.example",
            role="admin",
        )
        known = {root.path: root}
        paths = {"/".join(r["unit_path"].split("/")[:2]) for r in rows if r["unit_path"]}
        paths |= {p.split("/")[0] for p in paths}
        units = [root]
        for path in sorted(paths):
            units.append(
                await org_service.do_ensure_path(session, path=path, known=known, root=root)
            )
        for unit in units:
            await do_create_space(
                session,
                actor=admin,
                name=f"{unit.name} space",
                kind="unit",
                visibility="open",
                unit_id=unit.id,
            )
        await session.commit()
    return len(units)


async def _check_end_state(engine: AsyncEngine, kind: str, rows: list[dict[str, str]]) -> None:
    """Everyone is there once, and the company's space holds every member (and the admin)."""
    members = sum(r["kind"] == "member" for r in rows)
    async with AsyncSession(engine) as session:
        people = await session.scalar(select(func.count()).select_from(Person))
        root = await org_service.root_unit(session)
        company = select(Space.id).where(Space.unit_id == (root.id if root else None))
        in_company = await session.scalar(
            select(func.count()).where(Membership.space_id == company.scalar_subquery())
        )
    if (people, in_company) != (len(rows) + 1, members + 1):
        raise AssertionError(
            f"{kind}: {people} people and {in_company} in the company's space at the end, "
            f"expected {len(rows) + 1} and {members + 1}"
        )


def _expect(report: ImportReport, case: str, **counts: int) -> str:
    got = {k: getattr(report, k) for k in counts}
    if report.rejected or got != counts:
        raise AssertionError(
            f"{case}: expected {counts}, got {got}, rejected {report.rejected[:3]}"
        )
    return ", ".join(f"{v:,} {k}" for k, v in counts.items())


async def _on(kind: str, rows: list[dict[str, str]], share: float) -> list[Figure]:
    n = len(rows)
    data = to_csv(rows)
    changed_rows, n_changed = change_rows(rows, share)
    changed = to_csv(changed_rows)
    figures: list[Figure] = []
    async with fresh_engine(kind, "import_org") as engine:
        ceiling = await _ceiling(engine, rows)
        figures.append(Figure(kind, "ceiling: bare bulk INSERT", n, ceiling, note="baseline"))
        spaces = await _unit_spaces(engine, rows)
        cases: list[tuple[str, Callable[[], Awaitable[Timed]], dict[str, int]]] = [
            ("first import", lambda: _timed_import(engine, data), {"created": n, "updated": 0}),
            (
                "same file again",
                lambda: _timed_import(engine, data),
                {"created": 0, "updated": 0, "unchanged": n},
            ),
            (
                f"{share:.0%} rows changed",
                lambda: _timed_import(engine, changed),
                {"created": 0, "updated": n_changed, "unchanged": n - n_changed},
            ),
            (
                "dry-run preview",
                lambda: _timed_import(engine, data, apply=False),
                {"created": 0, "updated": n_changed, "unchanged": n - n_changed},
            ),
        ]
        for case, run, counts in cases:
            seconds, report = await run()
            note = _expect(report, case, **counts)
            if case == "first import":
                note += f"; {spaces} unit spaces synced"
            figures.append(Figure(kind, case, n, seconds, ceiling, note))
        await _check_end_state(engine, kind, rows)
    return figures


@benchmark("import_org")
async def import_org(options: Options) -> list[Figure]:
    rows = generate_rows(options.rows or DEFAULT_ROWS)
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _on(kind, rows, share=0.10)
    return figures
