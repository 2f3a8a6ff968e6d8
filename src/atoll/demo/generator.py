"""The demo organisation: Northwind, a living company at any scale — its tree of divisions,
departments and teams, people with titles and skills, customers and partners with their
guests, spaces of every kind, and months of history that follow the adoption journey (first
within silos, then across them, then with externals). Deterministic for a seed and an end
date. Rows are planned in memory and written in bulk; the interaction log is written with
what ``record_interaction`` would have known live (both sides' unit, kind and organisation
at that moment) and then classified by the analytics domain's own rebuild of the log. The
plain facts of everything made are kept (``plan.py``), and the ground truth computed from
them by an independent implementation of the rules (``truth/``) comes back with the
result.

The landmarks the README and the browser tests use are always there: the admin
admin@northwind.example, the member ana.silva@northwind.example, the guests
marta@acme.example and lina@beta.example (password ``atoll-demo-2026``), the spaces Python
Guild, Customer Stories, Leadership Circle, Acme Corp collaboration, Beta Ltd collaboration,
Northwind Open House and the Checkout outage room, and a few threads in them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.outsiders import do_remember_earlier_words
from atoll.demo import writer
from atoll.demo.activity import Simulation
from atoll.demo.history import History
from atoll.demo.openings import do_plant_openings
from atoll.demo.org import (
    ADMIN_EMAIL,
    COMPANY,
    MEMBER_EMAIL,
    Ids,
    Org,
    elapsed_shares,
    month_starts,
    plan_people,
    plan_tree,
    silos_of,
)
from atoll.demo.plan import Plan, PlanSpace
from atoll.demo.spaces import plan_spaces
from atoll.demo.truth import ground_truth
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.people.passwords import Hashing

__all__ = ["ADMIN_EMAIL", "COMPANY", "MEMBER_EMAIL", "DemoResult", "do_create_demo"]

DEMO_PASSWORD = "atoll-demo-2026"
EXTERNAL_SHARE = 0.05
POSTS_PER_PERSON_MONTH = 0.75

Progress = Callable[[str, int, int], None]


@dataclass
class DemoResult:
    created: bool
    people: int
    admin_email: str = ADMIN_EMAIL
    member_email: str = MEMBER_EMAIL
    password: str = DEMO_PASSWORD
    posts: int = 0
    interactions: int = 0
    ground_truth: dict[str, Any] = field(default_factory=dict)
    # The plain facts the generator made (see plan.py): ``atoll.demo.truth.Truth(plan)``
    # answers the ground truth for any range.
    plan: Plan | None = None


def default_posts(people: int, months: float) -> int:
    """0.75 posts per person and month of history (a month not over counts for its share)."""
    return round(people * months * POSTS_PER_PERSON_MONTH)


def history_stop(end: date | datetime | None, now: datetime | None = None) -> datetime:
    """The instant the history ends (exclusive, whole seconds, UTC): the end of the day
    ``end`` names, the moment ``end`` names (a naive one is UTC), or — with no ``end`` —
    now, the moment the demo is made. Nothing the demo writes is dated at or after it."""
    if isinstance(end, datetime):
        moment = end if end.tzinfo is not None else end.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(microsecond=0)
    if isinstance(end, date):
        return datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


async def demo_exists(session: AsyncSession) -> bool:
    """Anything there already (people or units): the demo leaves such a database alone."""
    people = await session.scalar(select(func.count()).select_from(Person))
    units = await session.scalar(select(func.count()).select_from(Unit))
    return bool(people or units)


def _quiet(phase: str, done: int, total: int) -> None:
    return None


# SQLite's page cache while building, in KiB. The build is one transaction: with the default
# 2 MiB, a large one (1,000,000 posts) spilled pages to the WAL and read them back over and
# over, and its later phases (ties, the search index) were bound by those reads.
BUILD_CACHE_KIB = 1_048_576


async def _page_cache(session: AsyncSession, kib: int | None) -> int | None:
    """Set this connection's SQLite page cache (``kib`` KiB, or a previous raw setting when
    restoring) and return the setting it had; nothing on PostgreSQL."""
    if kib is None or session.get_bind().dialect.name != "sqlite":
        return None
    previous = await session.scalar(text("PRAGMA cache_size"))
    await session.execute(text(f"PRAGMA cache_size = {-abs(int(kib))}"))
    return -abs(int(previous or 2000))


async def do_create_demo(
    session: AsyncSession,
    *,
    people: int = 300,
    months: int = 12,
    seed: int = 1,
    end: date | datetime | None = None,
    posts: int | None = None,
    silo_level: int = 2,
    lookback_days: int = 90,
    hashing: Hashing,
    progress: Progress = _quiet,
) -> DemoResult:
    """Create the demo organisation unless the database has people or units already (then
    change nothing and say so with ``created`` False). ``people`` counts everyone, about 5 %
    of them external guests; the history covers ``months`` calendar months up to the end of
    the day ``end``, or up to the moment ``end`` (default now, UTC; see ``history_stop``).
    A month the history ends in before it is over gets the share of activity its elapsed
    time deserves. Everybody's password is ``DEMO_PASSWORD``, hashed at the cost ``hashing``
    says. Does not commit."""
    if await demo_exists(session):
        count = await session.scalar(select(func.count()).select_from(Person)) or 0
        return DemoResult(created=False, people=count)
    if people < 20:
        raise ValueError("the demo organisation needs at least 20 people")
    if months < 1:
        raise ValueError("the demo history needs at least one month")
    stop = history_stop(end)
    rng = random.Random(seed)
    previous_cache = await _page_cache(session, BUILD_CACHE_KIB)
    ids = Ids(await writer.last_ids(session))
    org = _plan(rng, ids, people=people, months=months, stop=stop, silo_level=silo_level)
    await _write_org(session, org, progress, hashing)
    shares = elapsed_shares(org.months)
    total_posts = default_posts(people, sum(shares)) if posts is None else posts

    plan = _facts_of(org, stop=stop, silo_level=silo_level, lookback_days=lookback_days)
    history = History(org, ids, plan, stop)
    sim = Simulation(rng, org, history, posts=total_posts, end=stop, shares=shares)
    written = {"post": 0, "interaction": 0}
    for month, (_, month_end) in enumerate(org.months):
        sim.run_month(month)
        last = month == len(org.months) - 1
        if last:
            sim.landmarks()
        rows = history.take_rows()
        rows["interaction"] = history.log_until(None if last else month_end)
        for name in ("post", "comment", "mention", "reaction", "idea_vote", "interaction"):
            await writer.insert_rows(session, name, rows.get(name, []))
            written[name] = written.get(name, 0) + len(rows.get(name, []))
        progress("history", month + 1, len(org.months))
    for name, table_rows in history.wiki_rows().items():
        await writer.insert_rows(session, name, table_rows)
    progress("activity", 0, 1)
    days = sim.activity_days(org.months[0][0])
    plan.days = {(row["person_id"], row["day"]) for row in days}
    await writer.insert_rows(session, "activity_day", days)
    progress("activity", 1, 1)
    openings = await do_plant_openings(session, org, plan, seed=seed)
    # Who has written to customers before is not asked "the first time" again.
    await do_remember_earlier_words(session, now=stop)
    await writer.move_sequences(session)
    # The log's rows carry what record_interaction knows from the world; the analytics
    # domain classifies them (silos, scope, new ties and the helpers), as it would live.
    from atoll.analytics.ties import rebuild_log

    rebuilt = await rebuild_log(
        session,
        silo_level=silo_level,
        lookback_days=lookback_days,
        progress=lambda done, total: progress("Classifying the log", done, total),
    )
    from atoll.search.index import reindex

    await reindex(session, progress=progress)
    await _page_cache(session, previous_cache)
    truth = ground_truth(
        plan,
        seed=seed,
        end=_iso(end if isinstance(end, date) and not isinstance(end, datetime) else stop),
        start=_iso(org.months[0][0]),
        stop=_iso(stop),
        people=len(org.people),
        months_count=months,
        silo_level=silo_level,
        lookback_days=lookback_days,
        rows_classified_by_rebuild=rebuilt.scopes,
        hybrid_openings=openings,
    )
    return DemoResult(
        created=True,
        people=len(org.people),
        posts=written["post"],
        interactions=written["interaction"],
        ground_truth=truth,
        plan=plan,
    )


def _iso(moment: date) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _plan(
    rng: random.Random, ids: Ids, *, people: int, months: int, stop: datetime, silo_level: int
) -> Org:
    externals = max(5, round(people * EXTERNAL_SHARE))
    members = people - externals
    spans = month_starts(stop, months)
    units = plan_tree(rng, ids, members=members, silo_level=silo_level)
    persons = plan_people(
        rng, ids, units=units, members=members, externals=externals, months=months
    )
    spaces = plan_spaces(rng, ids, units=units, people=persons, start=spans[0][0], end=stop)
    return Org(units, persons, spaces, silos_of(units, silo_level), spans)


def _facts_of(org: Org, *, stop: datetime, silo_level: int, lookback_days: int) -> Plan:
    """The plan's facts of the organisation: the tree, each person's kind and organisation,
    each member's unit month by month (its acts come as the history is logged)."""
    return Plan(
        silo_level=silo_level,
        lookback_days=lookback_days,
        start=org.months[0][0],
        stop=stop,
        month_starts=[start for start, _ in org.months],
        units={u.id: (u.parent_id, u.level) for u in org.units},
        kinds={p.id: p.kind for p in org.people},
        organizations={p.id: p.organization for p in org.people},
        unit_by_month={p.id: list(p.units) for p in org.people if p.kind == "member"},
        spaces={
            s.id: PlanSpace(
                s.kind,
                s.created_at,
                frozenset(pid for pid, role in s.members.items() if role == "owner"),
            )
            for s in org.spaces
        },
    )


async def _write_org(session: AsyncSession, org: Org, progress: Progress, hashing: Hashing) -> None:
    """Units, people with their skills, spaces and memberships (unit spaces hold their
    unit's people as ``do_sync_unit_memberships`` makes them: source "unit")."""
    progress("organisation", 0, 4)
    since = org.months[0][0] - timedelta(days=30)
    await writer.insert_rows(
        session,
        "unit",
        [
            {
                "id": u.id,
                "name": u.name,
                "parent_id": u.parent_id,
                "level": u.level,
                "path": u.path,
                "created_at": since,
            }
            for u in org.units
        ],
    )
    progress("organisation", 1, 4)
    shared_hash = await hashing.hash(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose
    await writer.insert_rows(
        session,
        "person",
        [
            {
                "id": p.id,
                "email": p.email,
                "name": p.name,
                "title": p.title,
                "bio": "",
                "kind": p.kind,
                "role": p.role,
                "unit_id": p.unit_id,
                "organization": p.organization,
                "relation": p.relation,
                "password_hash": shared_hash,
                "is_active": True,
                "is_analyst": False,
                # Some of the most engaged say they are happy to coach (analytics' champions).
                "coach_opt_in": p.engagement == "regular" and p.id % 2 == 0,
                "created_at": since,
                "updated_at": since,
            }
            for p in org.people
        ],
    )
    await writer.insert_rows(
        session,
        "person_skill",
        [
            {"person_id": p.id, "name": skill, "key": skill.lower()}
            for p in org.people
            for skill in p.skills
        ],
    )
    progress("organisation", 2, 4)
    await writer.insert_rows(
        session,
        "space",
        [
            {
                "id": s.id,
                "name": s.name,
                "slug": s.slug,
                "description": s.description,
                "kind": s.kind,
                "visibility": s.visibility,
                "unit_id": s.unit_id,
                "closes_at": s.closes_at,
                "archived_at": None,
                "created_by_id": s.created_by_id,
                "wiki_moderators_only": False,
                "wiki_externals_may_edit": False,
                "created_at": s.created_at,
                "updated_at": s.created_at,
            }
            for s in org.spaces
        ],
    )
    progress("organisation", 3, 4)
    await writer.insert_rows(session, "membership", _memberships(org))
    progress("organisation", 4, 4)


def _memberships(org: Org) -> list[dict[str, Any]]:
    parent = {u.id: u.parent_id for u in org.units}
    below: dict[int, list[int]] = {}  # unit -> people in it or any unit below it
    for person in org.people:
        unit = person.unit_id if person.kind == "member" else None
        while unit is not None:
            below.setdefault(unit, []).append(person.id)
            unit = parent[unit]
    rows = []
    for space in org.spaces:
        for pid, role in space.members.items():
            rows.append(
                {
                    "space_id": space.id,
                    "person_id": pid,
                    "role": role,
                    "source": "manual",
                    "created_at": space.created_at,
                }
            )
        if space.kind == "unit" and space.unit_id is not None:
            for pid in below.get(space.unit_id, []):
                if pid not in space.members:
                    rows.append(
                        {
                            "space_id": space.id,
                            "person_id": pid,
                            "role": "member",
                            "source": "unit",
                            "created_at": space.created_at,
                        }
                    )
    return rows
