"""Members' days, read from the log: what adoption is counted from.

A *member's day* is a day of the organisation's time zone (``ATOLL_TIMEZONE``) on which a
member was active — they used Atoll (an ``ActivityDay``: signed in and did anything) or acted
in the interaction log as a member — or someone acted toward them. For each: whether they were
active, how many contributions they made (posts, comments, replies and reactions), how many
posts (P), how many acts toward another person they made (G: comments, replies, reactions,
votes, mentions, accepted answers, wiki co-edits) and how many acts of others toward them they
received (R). Linked person by person in order (``link``), each day also knows the day the
person was last active before it and last contributed before it, which is all that distinct
counts over any run of days need (``tally``), and whether it is the person's first
contribution of its ISO week (the 90-9-1 split counts weeks).

A person's kind is read when the day is counted: activity days count for members, acts for
whoever was a member when they acted (the log keeps each side's kind at that moment)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import Select, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.local_days import month_start, week_start, zone_day
from atoll.analytics.models import NEVER, ActivityDay, Interaction
from atoll.analytics.periods import midnight
from atoll.people.models import Person

CONTRIBUTIONS = ("post", "comment", "reply", "reaction")
MEASURES = ("active", "contributor")


Last = tuple[Any, Any]  # a person's last active and last contributing day (or their text)


@dataclass(slots=True)
class PersonDay:
    person: int
    day: date
    active: bool
    contributions: int
    posts: int
    given: int
    received: int
    prev_active: date | None = None  # the day the person was last active before this one
    prev_contribution: date | None = None

    @property
    def new_week(self) -> bool:
        """The person's first contribution in this day's ISO week."""
        if not self.contributions:
            return False
        return self.prev_contribution is None or self.prev_contribution < week_start(self.day)


@dataclass
class Totals:
    """A person's running totals up to a day (a mark), or over a run of days."""

    active_days: int = 0
    contribution_days: int = 0
    weeks: int = 0  # weeks with a contribution (first contributions of a week)
    posts: int = 0
    given: int = 0
    received: int = 0
    last_active: date | None = None
    last_contribution: date | None = None

    @classmethod
    def of(
        cls,
        counts: Sequence[int],
        last_active: date | None = None,
        last_contribution: date | None = None,
    ) -> Totals:
        """From ``counts()`` and the last days."""
        active, contributed, weeks, posts, given, received = counts
        return cls(
            active, contributed, weeks, posts, given, received, last_active, last_contribution
        )

    def add(self, day: PersonDay) -> None:
        self.active_days += day.active
        self.contribution_days += day.contributions > 0
        self.weeks += day.new_week
        self.posts += day.posts
        self.given += day.given
        self.received += day.received
        if day.active:
            self.last_active = day.day
        if day.contributions:
            self.last_contribution = day.day

    def counts(self) -> tuple[int, int, int, int, int, int]:
        return (
            self.active_days,
            self.contribution_days,
            self.weeks,
            self.posts,
            self.given,
            self.received,
        )


@dataclass
class Tally:
    """Counts of (measure, day, previous day) — see ``AdoptionTally``."""

    counts: Counter[tuple[str, date, date]] = field(default_factory=Counter)

    def add(self, day: PersonDay) -> None:
        if day.active:
            self.counts["active", day.day, day.prev_active or NEVER] += 1
        if day.contributions:
            self.counts["contributor", day.day, day.prev_contribution or NEVER] += 1

    def rows(self, zone: str) -> list[dict[str, Any]]:
        return [
            {
                "zone": zone,
                "measure": measure,
                "day": day,
                "prev": prev,
                "week": week_start(day),
                "month": month_start(day),
                "count": count,
            }
            for (measure, day, prev), count in sorted(self.counts.items())
        ]


async def fetch(session: AsyncSession, statement: Any) -> list[Any]:
    """The rows of a Core statement, read through the session's connection: plain tuples,
    without the ORM's work per row (there are thousands)."""
    return list((await (await session.connection()).execute(statement)).all())


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _acts(first: date, stop: date, zone: tzinfo, dialect: str) -> Select[Any]:
    """(person, day, active, contributions, posts, given, received) per member's day in
    [first, stop), ordered by person then day."""
    i = Interaction
    start, end = midnight(first, zone), midnight(stop, zone)
    day = zone_day(i.at, start, end, zone, dialect)
    in_range = (i.at >= start, i.at < end)
    one, none = literal(1), literal(0)
    mine = select(
        i.actor_id.label("person"),
        day.label("day"),
        one.label("active"),
        case((i.kind.in_(CONTRIBUTIONS), 1), else_=0).label("contributions"),
        case((i.kind == "post", 1), else_=0).label("posts"),
        case((i.target_id.is_not(None), 1), else_=0).label("given"),
        none.label("received"),
    ).where(*in_range, i.actor_kind == "member")
    theirs = select(i.target_id, day, none, none, none, none, one).where(
        *in_range, i.target_kind == "member", i.target_id.is_not(None)
    )
    used = (
        select(ActivityDay.person_id, ActivityDay.day, one, none, none, none, none)
        .join(Person, Person.id == ActivityDay.person_id)
        .where(Person.kind == "member", ActivityDay.day >= first, ActivityDay.day < stop)
    )
    rows = union_all(mine, theirs, used).subquery()
    c = rows.c
    return (
        select(
            c.person,
            c.day,
            func.max(c.active),
            func.sum(c.contributions),
            func.sum(c.posts),
            func.sum(c.given),
            func.sum(c.received),
        )
        .group_by(c.person, c.day)
        .order_by(c.person, c.day)
    )


async def read_rows(
    session: AsyncSession, first: date, stop: date, zone: tzinfo
) -> list[Sequence[Any]]:
    """The members' days in [first, stop) as rows of ``_acts``, to ``link``."""
    if first >= stop:
        return []
    dialect = (await session.connection()).dialect.name
    return await fetch(session, _acts(first, stop, zone, dialect))


async def read_days(
    session: AsyncSession,
    first: date,
    stop: date,
    zone: tzinfo,
    before: dict[int, Last] | None = None,
) -> list[PersonDay]:
    """The members' days in [first, stop), linked (``before``: each person's last active and
    last contributing day before ``first``)."""
    return link(await read_rows(session, first, stop, zone), before or {})


def link(rows: Iterable[Sequence[Any]], before: dict[int, Last]) -> list[PersonDay]:
    """Rows of ``_acts`` (by person, then day) as ``PersonDay``s, each knowing the days its
    person was last active and last contributed before it."""
    out: list[PersonDay] = []
    person: int | None = None
    last_active: date | None = None
    last_contribution: date | None = None
    for who, when, active, contributions, posts, given, received in rows:
        if who != person:
            person = who
            known = before.get(who)
            last_active = _maybe_day(known[0]) if known else None
            last_contribution = _maybe_day(known[1]) if known else None
        day = PersonDay(
            who,
            _day(when),
            bool(active),
            int(contributions),
            int(posts),
            int(given),
            int(received),
            last_active,
            last_contribution,
        )
        out.append(day)
        if day.active:
            last_active = day.day
        if day.contributions:
            last_contribution = day.day
    return out


def _maybe_day(value: Any) -> date | None:
    return None if value is None else _day(value)
