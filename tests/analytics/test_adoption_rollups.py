"""Adoption counts the same from its roll-ups as from the log.

An organisation of 30 members and 6 externals acts at random (seeded) for 14 months, in
Berlin's time zone, many acts late in the evening (UTC) so that the zone's day differs from
UTC's, across both changes of summer time. For many ranges the counts equal a brute-force count
of the same acts written here from the rules — before housekeeping has counted any day, after
it counted some of them, a few days at a time, and all of them — and a row written later into
a day already counted is noticed and counted again."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption import adoption
from atoll.analytics.adoption_counts import Counted, count_adoption
from atoll.analytics.adoption_store import do_fill_adoption, do_recount_adoption
from atoll.analytics.models import ActivityDay, AdoptionFill, Interaction
from atoll.kit.settings import Settings
from tests.factories import make_person

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 10, 1, tzinfo=UTC)
DAYS = 425
CONTRIBUTIONS = ("post", "comment", "reply", "reaction")
TOWARD = ("comment", "reply", "reaction", "vote", "mention", "accept", "wiki_edit")


@dataclass(frozen=True)
class Act:
    at: datetime
    kind: str
    actor: int
    actor_kind: str
    target: int | None
    target_kind: str | None


@dataclass
class World:
    members: list[int]
    externals: list[int]
    acts: list[Act]
    used: list[tuple[int, date]]  # activity days (externals' included: they never count)


def _moment(rng: random.Random) -> datetime:
    day = START + timedelta(days=rng.randrange(DAYS))
    if rng.random() < 0.4:  # late evening UTC: already tomorrow in Berlin
        return day + timedelta(hours=22, minutes=rng.randrange(120))
    return day + timedelta(seconds=rng.randrange(86_400))


def _plan(members: list[int], externals: list[int]) -> World:
    rng = random.Random(20261205)
    kinds = {p: "member" for p in members} | {p: "external" for p in externals}
    everyone = members + externals
    acts = []
    for _ in range(1200):
        actor = rng.choice(members[:20] if rng.random() < 0.7 else everyone)
        kind = rng.choice(("post",) * 2 + TOWARD)
        target = None if kind == "post" or rng.random() < 0.05 else rng.choice(everyone)
        if target == actor:
            target = None
        if target is None and kind != "post":
            kind = "wiki_edit"  # a page's first revision: toward the space
        acts.append(Act(_moment(rng), kind, actor, kinds[actor], target, kinds.get(target or 0)))
    used = {
        (rng.choice(everyone), (START + timedelta(days=rng.randrange(DAYS))).date())
        for _ in range(900)
    }
    return World(members, externals, acts, sorted(used))


async def _world(db: AsyncSession) -> World:
    members = [(await make_person(db)).id for _ in range(30)]
    externals = [(await make_person(db, kind="external")).id for _ in range(6)]
    world = _plan(members, externals)
    for a in world.acts:
        db.add(
            Interaction(
                at=a.at,
                kind=a.kind,
                actor_id=a.actor,
                actor_kind=a.actor_kind,
                target_id=a.target,
                target_kind=a.target_kind,
            )
        )
    db.add_all(ActivityDay(person_id=p, day=d) for p, d in world.used)
    await db.commit()
    return world


# --- the same counts, by brute force -------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1)


def _days(world: World, zone: ZoneInfo) -> dict[tuple[int, date], dict[str, int]]:
    """Each member's day: {"active", "contributions", "posts", "given", "received"}."""
    days: dict[tuple[int, date], Counter[str]] = {}
    members = set(world.members)

    def of(person: int, day: date) -> Counter[str]:
        return days.setdefault((person, day), Counter())

    for a in world.acts:
        day = a.at.astimezone(zone).date()
        if a.actor_kind == "member":
            mine = of(a.actor, day)
            mine["active"] = 1
            mine["contributions"] += a.kind in CONTRIBUTIONS
            mine["posts"] += a.kind == "post"
            mine["given"] += a.target is not None
        if a.target is not None and a.target_kind == "member":
            of(a.target, day)["received"] += 1
    for person, day in world.used:
        if person in members:
            of(person, day)["active"] = 1
    return {key: dict(value) for key, value in days.items()}


def _expected(world: World, zone: ZoneInfo, first: date, stop: date) -> dict[str, Any]:
    days = _days(world, zone)
    active = {(p, d) for (p, d), v in days.items() if v.get("active")}
    contributed = {(p, d) for (p, d), v in days.items() if v.get("contributions")}
    people: dict[int, tuple[int, ...]] = {}
    for person in {p for p, d in active if first <= d < stop}:
        mine = [(d, v) for (p, d), v in days.items() if p == person and first <= d < stop]
        people[person] = (
            sum(1 for d, v in mine if v.get("active")),
            sum(1 for d, v in mine if v.get("contributions")),
            len({_monday(d) for d, v in mine if v.get("contributions")}),
            sum(v.get("posts", 0) for _, v in mine),
            sum(v.get("given", 0) for _, v in mine),
            sum(v.get("received", 0) for _, v in mine),
        )
    series: dict[str, Counter[tuple[date, str]]] = {"weekly": Counter(), "monthly": Counter()}
    for measure, pairs in (("active", active), ("contributor", contributed)):
        for name, start_of in (("weekly", _monday), ("monthly", lambda d: d.replace(day=1))):
            seen = {(p, start_of(d)) for p, d in pairs if first <= d < stop}
            for _, period in seen:
                series[name][period, measure] += 1
    window, year = stop - timedelta(days=30), _year_before(stop)
    return {
        "people": people,
        "weekly": dict(series["weekly"]),
        "monthly": dict(series["monthly"]),
        "person_days": sum(1 for _, d in active if window <= d < stop),
        "active_30": len({p for p, d in active if window <= d < stop}),
        "active_year": len({p for p, d in active if year <= d < stop}),
    }


def _counted(c: Counted) -> dict[str, Any]:
    return {
        "people": {p: t.counts() for p, t in c.people.items()},
        "weekly": {k: v for k, v in c.weekly.items() if v},
        "monthly": {k: v for k, v in c.monthly.items() if v},
        "person_days": c.person_days,
        "active_30": c.active_30,
        "active_year": c.active_year,
    }


RANGES = [
    (date(2025, 10, 1), date(2026, 12, 1)),  # everything (and beyond)
    (date(2025, 11, 1), date(2026, 11, 1)),  # twelve whole months
    (date(2026, 3, 4), date(2026, 3, 5)),  # one Wednesday
    (date(2026, 3, 25), date(2026, 4, 2)),  # across the change to summer time
    (date(2026, 3, 18), date(2026, 3, 21)),  # within one week
    (date(2026, 1, 14), date(2026, 6, 10)),  # from a Wednesday to a Wednesday
    (date(2026, 10, 20), date(2026, 11, 29)),  # across the end of summer time
    (date(2025, 9, 20), date(2025, 10, 10)),  # before the first act
    (date(2026, 5, 31), date(2026, 6, 1)),  # a Sunday, the last day of a month
]


async def _check(db: AsyncSession, world: World, zone: ZoneInfo) -> None:
    for first, stop in RANGES:
        got = _counted(await count_adoption(db, first=first, stop=stop, zone=zone))
        assert got == _expected(world, zone, first, stop), (first, stop)


async def test_the_roll_ups_count_what_the_log_holds(db: AsyncSession) -> None:
    world = await _world(db)
    await _check(db, world, BERLIN)  # nothing counted yet: all from the log

    halfway = datetime(2026, 5, 17, 21, 30, tzinfo=UTC)
    assert await do_fill_adoption(db, zone=BERLIN, now=halfway, max_days=400) > 0
    await db.commit()
    fill = await db.get(AdoptionFill, "Europe/Berlin")
    assert fill is not None and fill.filled_to == date(2026, 5, 17)  # 18 May is not closed
    await _check(db, world, BERLIN)

    for _ in range(3):  # a few days at a time, as housekeeping works off a backlog
        assert await do_fill_adoption(db, zone=BERLIN, now=halfway + timedelta(days=60), max_days=9)
        await db.commit()
        await _check(db, world, BERLIN)

    later = START + timedelta(days=DAYS + 40)
    while await do_fill_adoption(db, zone=BERLIN, now=later, max_days=120):
        await db.commit()
    await db.commit()
    await _check(db, world, BERLIN)


async def test_a_row_written_into_a_counted_day_is_counted(db: AsyncSession) -> None:
    world = await _world(db)
    done = START + timedelta(days=DAYS + 40)
    while await do_fill_adoption(db, zone=BERLIN, now=done, max_days=500):
        await db.commit()
    member = world.members[25]
    late = Act(datetime(2026, 2, 10, 23, 30, tzinfo=UTC), "post", member, "member", None, None)
    db.add(Interaction(at=late.at, kind="post", actor_id=member, actor_kind="member"))
    await db.commit()
    world.acts.append(late)
    # Counted again from the day it was written into (11 February in Berlin) up to the last
    # closed day (8 January 2027: ``done`` is its midnight UTC, 01:00 on the 9th in Berlin).
    recounted = await do_fill_adoption(db, zone=BERLIN, now=done, max_days=500)
    assert recounted == (date(2027, 1, 9) - date(2026, 2, 11)).days
    await db.commit()
    await _check(db, world, BERLIN)


async def test_a_recount_drops_the_roll_ups_and_the_log_answers_alone(db: AsyncSession) -> None:
    world = await _world(db)
    done = START + timedelta(days=DAYS + 40)
    assert await do_fill_adoption(db, zone=BERLIN, now=done, max_days=500)
    await db.commit()
    await do_recount_adoption(db)
    await db.commit()
    assert list(await db.scalars(select(AdoptionFill.zone))) == []
    await _check(db, world, BERLIN)


async def test_another_time_zone_counts_everything_again(
    db: AsyncSession, settings: Settings
) -> None:
    world = await _world(db)
    done = START + timedelta(days=DAYS + 40)
    assert await do_fill_adoption(db, zone=BERLIN, now=done, max_days=500)
    await db.commit()
    utc = ZoneInfo("UTC")
    assert await do_fill_adoption(db, zone=utc, now=done, max_days=500)
    await db.commit()
    assert list(await db.scalars(select(AdoptionFill.zone))) == ["UTC"]
    await _check(db, world, utc)


@pytest.mark.parametrize(("first", "stop"), [RANGES[1], RANGES[5], RANGES[3]])
async def test_the_answer_is_the_same_before_and_after_housekeeping(
    db: AsyncSession, settings: Settings, first: date, stop: date
) -> None:
    await _world(db)
    berlin = settings.model_copy(update={"timezone": "Europe/Berlin"})
    start = datetime.combine(first, datetime.min.time(), BERLIN)
    end = datetime.combine(stop, datetime.min.time(), BERLIN)
    now = datetime(2026, 12, 31, tzinfo=UTC)
    before = await adoption(db, start=start, end=end, settings=berlin, now=now)
    while await do_fill_adoption(db, zone=BERLIN, now=now, max_days=500):
        await db.commit()
    after = await adoption(db, start=start, end=end, settings=berlin, now=now)
    assert after == before
    assert before["active"] and before["personas"] and before["dau_mau"]
