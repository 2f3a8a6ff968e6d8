"""Analytics over a large organisation: 10,000 people, 12 months of interactions.

The database gets a realistic log by bulk insert (not through the services, which would take
hours): a tree of 8 divisions × 5 departments × 4 teams, 9,500 members (1 % of them in a
division, above the silo level, and 0.4 % in no unit: in no silo) and 500 externals,
``--rows`` interactions (default 600,000: what ~0.75 posts per person-month with their
comments, reactions and mentions make) spread over 12 months with a skewed activity (a few
people do most): of the members' rows, two thirds toward the actor's own silo, a fifth across
silos, a tenth with externals, the rest posts (``activity``); 3 % of all rows by externals,
half of them toward another external (``externals``). Each row is classified as
``record_interaction`` would (analytics.service.scope_of), and a reaction counts once per
person and post (a second one on the same post is logged as a comment). Activity days (~60 %
of members, two to three days a week), and 20,000 questions with their first answers.
``new_tie`` and the helpers are then set by ``rebuild_log`` (timed), which is timed again
after a change of the silo level (departments → divisions) and back.

Cases, each run ``REPEAT`` times (the network ``SLOW_REPEAT`` times; the table shows the
median, the note p50/p99 — with so few runs p99 is the slowest): the value matrix with its
monthly journey over the 12 months for the whole organisation, the same by ISO week, the same
for one division, the network at the department level (whole organisation and one division:
computed on a first read, then read back as kept after housekeeping's refresh, which is timed
too), and adoption twice: first with its last two days read from the log (what
housekeeping has not counted yet: yesterday and today on a live server), then with every day
counted (housekeeping's adoption roll-ups, ``do_fill_adoption``, are counted and timed up to
two days before the end); then the matrix by week for one division, and in Europe/Berlin (its months
and weeks, counted for that zone first). Baseline: a bare ``COUNT(*)`` of the interactions in
the range through the same engine."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from atoll.analytics import months, queries
from atoll.analytics.adoption_store import do_fill_adoption
from atoll.analytics.models import ActivityDay, Interaction
from atoll.analytics.network import compute_snapshot
from atoll.analytics.network_store import do_refresh_networks
from atoll.analytics.pages import Filters, page_views, readiness_of
from atoll.analytics.pages_readiness import sections
from atoll.analytics.periods import midnight
from atoll.analytics.service import Side, scope_of, tie_key_of
from atoll.analytics.ties import rebuild_log
from atoll.conversations.models import Comment, Post
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.databases import fresh_engine

DEFAULT_ROWS = 600_000
PEOPLE = 10_000
EXTERNALS = 500
DIVISIONS, DEPARTMENTS, TEAMS = 8, 5, 4
END = datetime(2026, 11, 1, tzinfo=UTC)
START = datetime(2025, 11, 1, tzinfo=UTC)
QUESTIONS = 20_000
REPEAT = 7
SLOW_REPEAT = 3  # the network takes seconds
CHUNK = 5_000
SEED = 20261125
ZONE = ZoneInfo("UTC")  # the benchmark's organisation keeps UTC days


async def _insert(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[i : i + CHUNK])


Place = tuple[int | None, int | None]  # a member's (unit, silo)


async def _org(session: AsyncSession) -> tuple[list[int], dict[int, Place]]:
    """The tree and the people: (member ids, external ids last) and member → (unit, silo)."""
    units: list[dict[str, Any]] = [{"id": 1, "name": "Company", "parent_id": None, "level": 0}]
    units[0]["path"] = ""
    teams: list[tuple[int, int]] = []  # (team id, its department = silo)
    next_id = 2
    for d in range(DIVISIONS):
        division = next_id
        units.append({"id": division, "name": f"D{d}", "parent_id": 1, "level": 1, "path": f"D{d}"})
        next_id += 1
        for p in range(DEPARTMENTS):
            dept = next_id
            path = f"D{d}/P{p}"
            units.append({"id": dept, "name": f"P{p}", "parent_id": division, "level": 2})
            units[-1]["path"] = path
            next_id += 1
            for t in range(TEAMS):
                units.append(
                    {"id": next_id, "name": f"T{t}", "parent_id": dept, "level": 3}
                    | {"path": f"{path}/T{t}"}
                )
                teams.append((next_id, dept))
                next_id += 1
    now = datetime.now(UTC)
    for u in units:
        u["created_at"] = now
    await _insert(session, Unit, units)
    rng = random.Random(SEED)
    divisions = [u["id"] for u in units if u["level"] == 1]
    people, where = [], {}
    for n in range(1, PEOPLE + 1):
        external = n > PEOPLE - EXTERNALS
        team, silo = rng.choice(teams)
        place: Place = (team, silo)
        if n % 100 == 50:  # in a division, above the silo level
            place = (rng.choice(divisions), None)
        elif n % 250 == 1:  # in no unit
            place = (None, None)
        people.append(
            {
                "id": n,
                "email": f"p{n}@bench.example",
                "name": f"Person {n}",
                "title": "",
                "bio": "",
                "kind": "external" if external else "member",
                "role": "guest" if external else "member",
                "unit_id": None if external else place[0],
                "organization": f"Org {n % 40}" if external else None,
                "relation": "customer" if external else None,
                "is_active": True,
                "is_analyst": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        if not external:
            where[n] = place
    await _insert(session, Person, people)
    return list(range(1, PEOPLE + 1)), where


def _interactions(rows: int, where: dict[int, Place]) -> list[dict[str, Any]]:
    rng = random.Random(SEED + 1)
    members = sorted(where)
    externals = list(range(PEOPLE - EXTERNALS + 1, PEOPLE + 1))
    by_silo: dict[int | None, list[int]] = {}
    for person, (_, silo) in where.items():
        by_silo.setdefault(silo, []).append(person)
    weights = [1 / (rank + 10) for rank in range(len(members))]  # a few do most
    actors = rng.choices(members, weights, k=rows)
    span = (END - START).total_seconds()
    moments = sorted(START + timedelta(seconds=rng.random() * span) for _ in range(rows))
    reacted: set[tuple[int, int]] = set()  # (person, post): a reaction is logged once
    out = []
    for at, actor in zip(moments, actors, strict=True):
        roll = rng.random()
        target: int | None
        if roll < 0.03:  # an external acts: toward another external or a member
            actor = rng.choice(externals)
            target = rng.choice(externals if roll < 0.015 else members)
        elif roll < 0.66:
            silo = where[actor][1]
            target = rng.choice(by_silo[silo] if silo is not None else members)
        elif roll < 0.85:
            target = rng.choice(members)
        elif roll < 0.95:
            target = rng.choice(externals)
        else:
            target = None
        if target == actor:
            target = None
        out.append(_row(rng, at, actor, target, where, reacted))
    return out


def _side(person: int, where: dict[int, Place]) -> Side:
    if person in where:
        unit, silo = where[person]
        return Side(unit, silo, "member", None)
    return Side(None, None, "external", f"Org {person % 40}")


def _row(
    rng: random.Random,
    at: datetime,
    actor: int,
    target: int | None,
    where: dict[int, Place],
    reacted: set[tuple[int, int]],
) -> dict[str, Any]:
    """One row as record_interaction would write it (new_tie and the helpers left to the
    rebuild). Person-to-person acts are on a post of the target's that week."""
    me = _side(actor, where)
    them = _side(target, where) if target is not None else None
    post = None if target is None else target * 100 + (at - START).days // 7
    kind = "post" if target is None else rng.choice(("comment", "reaction", "reply"))
    if kind == "reaction" and post is not None:
        if (actor, post) in reacted:
            kind = "comment"
        reacted.add((actor, post))
    return {
        "at": at,
        "kind": kind,
        "actor_id": actor,
        "target_id": target,
        "space_id": None,
        "post_id": post,
        "actor_unit_id": me.unit_id,
        "actor_silo_id": me.silo_id,
        "actor_kind": me.kind,
        "actor_organization": me.organization,
        "target_unit_id": them.unit_id if them else None,
        "target_silo_id": them.silo_id if them else None,
        "target_kind": them.kind if them else None,
        "target_organization": them.organization if them else None,
        "scope": scope_of(me, them),
        "tie_key": tie_key_of(actor, target, None),
        "new_tie": False,
    }


def _activity_days(where: dict[int, tuple[int, int]]) -> list[dict[str, Any]]:
    rng = random.Random(SEED + 2)
    days = [START.date() + timedelta(days=n) for n in range((END - START).days)]
    out = []
    for person in where:
        if rng.random() < 0.6:
            rate = rng.uniform(2 / 7, 3 / 7)
            out += [{"person_id": person, "day": d} for d in days if rng.random() < rate]
    return out


async def _questions(session: AsyncSession, members: list[int]) -> None:
    rng = random.Random(SEED + 3)
    now = datetime.now(UTC)
    space = {"id": 1, "name": "Help", "slug": "help", "description": "", "kind": "community"}
    space |= {"visibility": "open", "created_at": now}
    await session.execute(insert(Space), [space])
    span = (END - START).total_seconds()
    posts, comments = [], []
    for n in range(1, QUESTIONS + 1):
        at = START + timedelta(seconds=rng.random() * span)
        author = rng.choice(members)
        posts.append(
            {"id": n, "space_id": 1, "author_id": author, "kind": "question", "body": "?"}
            | {"html": "", "created_at": at, "last_activity_at": at, "comment_count": 0}
            | {"vote_count": 0}
        )
        if rng.random() < 0.8:
            answer = at + timedelta(seconds=rng.expovariate(1 / 7200))
            comments.append(
                {"post_id": n, "author_id": rng.choice(members), "body": "!", "html": ""}
                | {"created_at": answer}
            )
    await _insert(session, Post, posts)
    await _insert(session, Comment, comments)


async def _count_adoption(engine: AsyncEngine, now: datetime) -> float:
    """Housekeeping's adoption roll-ups up to the days closed by ``now``, a batch (at most a
    month) per transaction as housekeeping counts them; returns the seconds it took."""
    began = time.perf_counter()
    while True:
        async with make_sessions(engine, Settings())() as session:
            counted = await do_fill_adoption(session, zone=ZONE, now=now)
            await session.commit()
        if not counted:
            return time.perf_counter() - began


async def _fill(engine: AsyncEngine, rows: int) -> tuple[int, list[tuple[str, float]]]:
    """The organisation and its log; returns the unit id of one division and the seconds of
    the rebuilds and of counting the adoption roll-ups."""
    async with make_sessions(engine, Settings())() as session:
        _, where = await _org(session)
        await session.commit()
        await _insert(session, Interaction, _interactions(rows, where))
        await session.commit()
        await _insert(session, ActivityDay, _activity_days(where))
        await _questions(session, sorted(where))
        await session.commit()
        rebuilds = []
        for case, level in (
            ("rebuild_log (whole log, as loaded)", 2),
            ("rebuild_log, silo level 2 -> 1", 1),
            ("rebuild_log, silo level 1 -> 2", 2),
        ):
            began = time.perf_counter()
            rebuilt = await rebuild_log(session, silo_level=level, lookback_days=90)
            await session.commit()
            rebuilds.append((case, time.perf_counter() - began))
            print(f"  {case}: {rebuilds[-1][1]:.1f} s, {rebuilt}", flush=True)
    counting = await _count_adoption(engine, END - timedelta(days=1))
    rebuilds.append(("adoption roll-ups (12 months)", counting))
    # Fresh statistics and (PostgreSQL) a vacuumed table, as autovacuum leaves a live database
    # after a bulk load: index-only scans need the visibility map.
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
    return 2, rebuilds


async def _timed(
    engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[Any]], repeat: int = REPEAT
) -> list[float]:
    times = []
    for _ in range(repeat):
        async with make_sessions(engine, Settings())() as session:
            began = time.perf_counter()
            await work(session)
            times.append(time.perf_counter() - began)
    return times


def _figure(kind: str, case: str, rows: int, times: list[float], baseline: float) -> Figure:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    note = f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over {len(times)} runs"
    return Figure(kind, case, rows, p50, baseline=baseline, note=note)


async def _run(kind: str, rows: int) -> list[Figure]:
    settings = Settings()
    async with fresh_engine(kind, "analytics") as engine:
        began = time.perf_counter()
        division, rebuilds = await _fill(engine, rows)
        print(f"  {kind}: filled in {time.perf_counter() - began:.0f} s", flush=True)
        span: dict[str, Any] = {"start": START, "end": END, "settings": settings}

        async def count(session: AsyncSession) -> Any:
            where = (Interaction.at >= START, Interaction.at < END)
            return await session.scalar(select(func.count()).where(*where))

        baseline = statistics.median(await _timed(engine, count))
        cases: list[tuple[str, Callable[[AsyncSession], Awaitable[Any]]]] = [
            (
                "matrix+journey, month",
                lambda s: queries.value_matrix(s, unit_id=None, period="month", **span),
            ),
            (
                "matrix+journey, week",
                lambda s: queries.value_matrix(s, unit_id=None, period="week", **span),
            ),
            (
                "matrix+journey, 1 division",
                lambda s: queries.value_matrix(s, unit_id=division, period="month", **span),
            ),
            (
                "network, departments (computed)",
                lambda s: queries.network(s, level=2, show_names=True, **span),
            ),
            (
                "network, 1 division (computed)",
                lambda s: queries.network(s, level=2, show_names=True, unit_id=division, **span),
            ),
            ("adoption, last 2 days from the log", lambda s: queries.adoption(s, **span)),
            *await _matrix_cases(engine, division, settings),
        ]
        figures = [Figure(kind, case, rows, seconds) for case, seconds in rebuilds]
        for case, work in cases:
            repeat = SLOW_REPEAT if case.startswith("network") else REPEAT
            times = await _timed(engine, work, repeat)
            figures.append(_figure(kind, case, rows, times, baseline))
            print(f"  {kind} {case}: {figures[-1].note}", flush=True)
        figures += await _kept_networks(engine, kind, rows, division, span, baseline)
        figures.append(await _page(engine, kind, rows, baseline))
        counting = await _count_adoption(engine, END + timedelta(days=1))  # the last 2 days
        print(f"  {kind}: the last 2 days counted in {counting * 1000:.0f} ms", flush=True)
        case = "adoption, every day counted"
        times = await _timed(engine, lambda s: queries.adoption(s, **span))
        figures.append(_figure(kind, case, rows, times, baseline))
        print(f"  {kind} {case}: {figures[-1].note}", flush=True)
        return figures


async def _matrix_cases(
    engine: AsyncEngine, division: int, settings: Settings
) -> list[tuple[str, Callable[[AsyncSession], Awaitable[Any]]]]:
    """The value matrix by week for one division, and the organisation's in another time
    zone (its closed months and weeks counted first, as housekeeping does in that zone)."""
    berlin = settings.model_copy(update={"timezone": "Europe/Berlin"})
    async with make_sessions(engine, settings)() as session:
        await months.do_fill_closed_months(session, zone=berlin.zone)
        await session.commit()
    span: dict[str, Any] = {"start": START, "end": END, "settings": settings}
    local = {"start": midnight(START.date(), berlin.zone), "end": midnight(END.date(), berlin.zone)}
    in_berlin: dict[str, Any] = local | {"settings": berlin}
    return [
        (
            "matrix+journey, 1 division, week",
            lambda s: queries.value_matrix(s, unit_id=division, period="week", **span),
        ),
        (
            "matrix+journey, month, Europe/Berlin",
            lambda s: queries.value_matrix(s, unit_id=None, period="month", **in_berlin),
        ),
        (
            "matrix+journey, week, Europe/Berlin",
            lambda s: queries.value_matrix(s, unit_id=None, period="week", **in_berlin),
        ),
        (
            "matrix+journey, 1 division, week, Europe/Berlin",
            lambda s: queries.value_matrix(s, unit_id=division, period="week", **in_berlin),
        ),
    ]


async def _kept_networks(
    engine: AsyncEngine,
    kind: str,
    rows: int,
    division: int,
    span: dict[str, Any],
    baseline: float,
) -> list[Figure]:
    """The networks as the page reads them once kept: a first read stores each (the
    "computed" cases above time that read, rolled back), housekeeping recomputes them with
    its larger betweenness budget (timed), then reads return the stored answers."""
    units: tuple[int | None, ...] = (None, division)
    async with make_sessions(engine, Settings())() as session:
        for unit in units:
            await queries.network(session, level=2, show_names=True, unit_id=unit, **span)
        await session.commit()
        began = time.perf_counter()
        refreshed = await do_refresh_networks(session, compute_snapshot, limit=len(units))
        await session.commit()
        seconds = time.perf_counter() - began
    figures = [Figure(kind, f"network housekeeping ({refreshed} kept)", rows, seconds)]
    print(f"  {kind} network housekeeping: {seconds:.1f} s for {refreshed}", flush=True)
    for case, unit in (("departments", None), ("1 division", division)):
        times = await _timed(
            engine,
            lambda s, unit=unit: queries.network(s, level=2, show_names=True, unit_id=unit, **span),
        )
        figures.append(_figure(kind, f"network, {case} (kept)", rows, times, baseline))
        print(f"  {kind} network, {case} (kept): {figures[-1].note}", flush=True)
    return figures


async def _page(engine: AsyncEngine, kind: str, rows: int, baseline: float) -> Figure:
    """Everything the analytics page computes for its default view (the 12 months, the whole
    organisation, departments) as it does it (``pages.page_views``: the value matrix with what
    to do next, the network, adoption; readiness once, and champions), with the network kept
    as housekeeping keeps it."""
    settings = Settings()
    last = (END - timedelta(days=1)).date()
    filters = Filters(first=START.date(), last=last, unit=None, period="month", level=2)

    async def work(session: AsyncSession) -> Any:
        viewer = await session.get(Person, 2)
        assert viewer is not None
        ready = await readiness_of(session, settings, filters)
        views = await page_views(session, settings, filters, viewer, ready)
        return views, await sections(session, settings, viewer, filters=filters, ready=ready)

    times = await _timed(engine, work)
    figure = _figure(kind, "the page's figures (all views, network kept)", rows, times, baseline)
    print(f"  {kind} the page's figures: {figure.note}", flush=True)
    return figure


@benchmark("analytics")
async def analytics(options: Options) -> list[Figure]:
    rows = options.rows or DEFAULT_ROWS
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run(kind, rows)
    return figures
