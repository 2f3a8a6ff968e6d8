"""Network breadth, as Viva Insights measures "networking outside the organisation": for each
member in a silo who interacted (person to person, either side) in the last 4 weeks of the
range (28 days of the organisation's time zone), the number of *other* silos with whose
members they had at least ``BREADTH_MIN_INTERACTIONS`` interactions in those weeks (a row
counts toward a silo other than the one the person was in at that moment), shown as a
distribution: 0, 1, 2, 3, 4, 5 or more silos.

The privacy floor: a bucket of 1 to 4 people is withheld, and so are the next smallest buckets
until the withheld people add up to ``MIN_GROUP`` or more (or every bucket is withheld), so
that no bucket comes back by subtraction from the total. With a unit filter only the people
of that unit count (their rows while they were in it); fewer than ``MIN_GROUP`` withholds
everything."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.network_rows import Scope
from atoll.analytics.policy import MIN_GROUP, may_show
from atoll.kit.time import as_utc, rfc3339

WINDOW = timedelta(weeks=4)
BREADTH_MIN_INTERACTIONS = 2
BUCKETS = ("0", "1", "2", "3", "4", "5+")


def window_of(start: datetime, end: datetime, zone: tzinfo = UTC) -> datetime:
    """The start of the last 4 weeks of [start, end) (the range itself when shorter): 28 days
    of the organisation's time zone back from the end (a day of a change of clocks is 23 or
    25 hours long)."""
    local = as_utc(end).astimezone(zone)
    return max(as_utc(start), (local - WINDOW).astimezone(UTC))


async def _counts(session: AsyncSession, scope: Scope, since: datetime) -> dict[int, int]:
    """Member in a silo → the number of other silos they had enough interactions with."""
    i = Interaction
    where = [i.at >= since, i.at < scope.end, i.target_id.is_not(None)]
    mine_a = [i.actor_kind == "member", i.actor_silo_id.is_not(None)]
    mine_b = [i.target_kind == "member", i.target_silo_id.is_not(None)]
    if scope.subtree is not None:
        mine_a.append(i.actor_unit_id.in_(scope.subtree))
        mine_b.append(i.target_unit_id.in_(scope.subtree))
    sides = union_all(
        select(
            i.actor_id.label("person"),
            i.actor_silo_id.label("own"),
            i.target_silo_id.label("other"),
            i.target_kind.label("kind"),
        ).where(*where, *mine_a),
        select(
            i.target_id.label("person"),
            i.target_silo_id.label("own"),
            i.actor_silo_id.label("other"),
            i.actor_kind.label("kind"),
        ).where(*where, *mine_b),
    ).subquery()
    c = sides.c
    per_silo: dict[tuple[int, int], int] = defaultdict(int)
    people: set[int] = set()
    rows = await session.execute(
        select(c.person, c.own, c.other, c.kind, func.count()).group_by(
            c.person, c.own, c.other, c.kind
        )
    )
    for person, own, other, kind, n in rows:
        people.add(person)
        if kind == "member" and other is not None and other != own:
            per_silo[(person, other)] += n
    reached: dict[int, int] = dict.fromkeys(people, 0)
    for (person, _), n in per_silo.items():
        if n >= BREADTH_MIN_INTERACTIONS:
            reached[person] += 1
    return reached


def distribution(reached: dict[int, int]) -> tuple[list[dict[str, Any]], int | None]:
    """The buckets (withheld: ``people`` None) and the total, under the privacy floor."""
    counts = dict.fromkeys(BUCKETS, 0)
    for n in reached.values():
        counts[BUCKETS[min(n, len(BUCKETS) - 1)]] += 1
    total = len(reached)
    if total == 0:
        return [{"silos": b, "people": 0} for b in BUCKETS], 0
    if not may_show(total):
        return [{"silos": b, "people": None} for b in BUCKETS], None
    hidden = {b for b, n in counts.items() if 0 < n < MIN_GROUP}
    while hidden and sum(counts[b] for b in hidden) < MIN_GROUP:
        rest = sorted((n, b) for b, n in counts.items() if b not in hidden and n > 0)
        if not rest:
            break
        hidden.add(rest[0][1])
    return [{"silos": b, "people": None if b in hidden else counts[b]} for b in BUCKETS], total


async def breadth(session: AsyncSession, scope: Scope, zone: tzinfo = UTC) -> dict[str, Any]:
    since = window_of(scope.start, scope.end, zone)
    reached = await _counts(session, scope, since)
    buckets, total = distribution(reached)
    return {
        "from": rfc3339(since),
        "to": rfc3339(scope.end),
        "people": total,
        "suppressed": total is None,
        "buckets": buckets,
    }
