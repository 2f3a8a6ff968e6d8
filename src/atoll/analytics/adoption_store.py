"""The adoption roll-ups: members' days counted once, so that adoption over a year reads a
few thousand rows instead of the whole log.

Housekeeping (``do_fill_adoption``) counts every day of the organisation's time zone that has
closed (ended ``CLOSED_AFTER`` ago: no transaction still open writes into it), a month at most
per batch, from ``activity_day`` and the interaction log (``adoption_days``):

- ``adoption_day``: each member's day (active, contributions, first contribution of its week,
  posts, acts given and received);
- ``adoption_tally``: per day, the people active on it — and those who contributed — by the
  day each was last active (contributed) before it: the distinct people of a run of days are
  the sum over its days of those last seen before the run;
- ``adoption_mark``: every member's running totals before the first of each month and before
  the first day not counted yet: a person's totals over a range are the difference of their
  totals at its two ends (``totals``);
- ``adoption_fill``: per time zone, the first day not counted yet and the last log row seen.

A read never writes: what is not counted yet (today, and anything housekeeping has not reached)
is read from the log itself (``adoption_counts``). The roll-ups are derived data: a row of the
log written later with a time in a day already counted (the demo, an import) is noticed by its
id, and the days from it are counted again; changing ``ATOLL_TIMEZONE`` counts everything again
in the new zone (the old zone's rows are dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    Select,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption_days import PersonDay, Tally, Totals, fetch, read_days
from atoll.analytics.local_days import month_start, week_start
from atoll.analytics.models import (
    ActivityDay,
    AdoptionDay,
    AdoptionFill,
    AdoptionMark,
    AdoptionPeriod,
    AdoptionTally,
    Interaction,
)
from atoll.analytics.periods import local_day
from atoll.kit.time import utcnow

CLOSED_AFTER = timedelta(hours=1)
MAX_DAYS = 31  # days counted per call at most: a backlog is worked off round by round
CHUNK = 5_000
WEEK = timedelta(days=7)
TABLES = (AdoptionDay, AdoptionTally, AdoptionPeriod, AdoptionMark)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def closed_until(zone: ZoneInfo, now: datetime) -> date:
    """The first day of ``zone`` that has not closed by ``now``: every day before it has."""
    return local_day(now - CLOSED_AFTER, zone)


async def filled_to(session: AsyncSession, zone: str) -> date | None:
    """The first day of ``zone`` not counted in the roll-ups (None: nothing counted)."""
    return _day(
        await session.scalar(select(AdoptionFill.filled_to).where(AdoptionFill.zone == zone))
    )


# --- running totals ----------------------------------------------------------------------------


async def _mark_before(session: AsyncSession, zone: str, day: date) -> date | None:
    m = AdoptionMark
    return _day(await session.scalar(select(func.max(m.day)).where(m.zone == zone, m.day <= day)))


async def totals_sql(session: AsyncSession, zone: str, day: date) -> Select[Any]:
    """SELECT each counted person's totals before ``day`` (as far as days are counted):
    person, active_days, contribution_days, weeks, posts, given, received, last_active,
    last_contribution — the latest mark at or before it plus the counted days since."""
    m, d = AdoptionMark, AdoptionDay
    mark = await _mark_before(session, zone, day)
    parts: list[Select[Any]] = []
    if mark is not None:
        parts.append(
            select(
                m.person_id.label("person"),
                m.active_days,
                m.contribution_days,
                m.weeks,
                m.posts,
                m.given,
                m.received,
                m.last_active,
                m.last_contribution,
            ).where(m.zone == zone, m.day == mark)
        )
        if mark == day:
            return parts[0]
    contributed = d.contributions > 0
    since = () if mark is None else (d.day >= mark,)
    parts.append(
        select(
            d.person_id.label("person"),
            cast(d.active, Integer).label("active_days"),
            case((contributed, 1), else_=0).label("contribution_days"),
            cast(d.new_week, Integer).label("weeks"),
            d.posts,
            d.given,
            d.received,
            case((d.active, d.day)).label("last_active"),
            case((contributed, d.day)).label("last_contribution"),
        ).where(d.zone == zone, d.day < day, *since)
    )
    rows = union_all(*parts).subquery()
    c = rows.c
    return select(
        c.person,
        *(func.sum(column).label(column.name) for column in list(c)[1:7]),
        func.max(c.last_active).label("last_active"),
        func.max(c.last_contribution).label("last_contribution"),
    ).group_by(c.person)


def totals_of(row: Sequence[Any]) -> Totals:
    """A row of ``totals_sql`` (after the person) as ``Totals``."""
    return Totals.of([int(v or 0) for v in row[:6]], _day(row[6]), _day(row[7]))


async def totals(session: AsyncSession, zone: str, day: date) -> dict[int, Totals]:
    rows = await fetch(session, await totals_sql(session, zone, day))
    return {row[0]: totals_of(row[1:]) for row in rows}


# --- counting ------------------------------------------------------------------------------------


async def _insert(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[i : i + CHUNK])


def _day_row(zone: str, day: PersonDay) -> dict[str, Any]:
    return {
        "zone": zone,
        "day": day.day,
        "person_id": day.person,
        "active": day.active,
        "contributions": day.contributions,
        "new_week": day.new_week,
        "posts": day.posts,
        "given": day.given,
        "received": day.received,
    }


COUNTS = ("active_days", "contribution_days", "weeks", "posts", "given", "received")


def _mark_row(zone: str, day: date, person: int, t: Totals) -> dict[str, Any]:
    row: dict[str, Any] = {"zone": zone, "day": day, "person_id": person}
    row.update(zip(COUNTS, t.counts(), strict=True))
    return row | {"last_active": t.last_active, "last_contribution": t.last_contribution}


async def _count(session: AsyncSession, zone: ZoneInfo, first: date, stop: date) -> None:
    """Count the days [first, stop) (within one month) and mark the totals before ``stop``."""
    name = zone.key
    before = await totals(session, name, first)
    lasts = {p: (t.last_active, t.last_contribution) for p, t in before.items()}
    days = await read_days(session, first, stop, zone, lasts)
    await _insert(session, AdoptionDay, [_day_row(name, d) for d in days])
    tally = Tally()
    for day in days:
        tally.add(day)
        before.setdefault(day.person, Totals()).add(day)
    await _insert(session, AdoptionTally, tally.rows(name))
    await _close_periods(session, name, first, stop)
    marks = [_mark_row(name, stop, person, t) for person, t in sorted(before.items())]
    await _insert(session, AdoptionMark, marks)
    if first.day != 1:  # the mark where counting had stopped is not needed any more
        m = AdoptionMark
        await session.execute(delete(m).where(m.zone == name, m.day == first))


async def _close_periods(session: AsyncSession, zone: str, first: date, stop: date) -> None:
    """Count the distinct people of each week and month whose last day is in [first, stop)
    (all its days are counted now)."""
    t = AdoptionTally
    weeks = [w for w in _mondays(first - timedelta(days=6), stop) if first < w + WEEK <= stop]
    months = [m for m in (month_start(first), month_start(stop)) if first < next_month(m) <= stop]
    for period, column, starts in (
        ("week", t.week, weeks),
        ("month", t.month, sorted(set(months))),
    ):
        if not starts:
            continue
        counted = (
            select(t.zone, literal(period), column, t.measure, func.sum(t.count))
            .where(t.zone == zone, column.in_(starts), t.prev < column)
            .group_by(t.zone, column, t.measure)
        )
        names = ["zone", "period", "start", "measure", "count"]
        await session.execute(insert(AdoptionPeriod).from_select(names, counted))


def _mondays(first: date, stop: date) -> list[date]:
    """The Mondays of the weeks that overlap [first, stop)."""
    out, day = [], week_start(first)
    while day < stop:
        out.append(day)
        day += WEEK
    return out


async def _first_day(session: AsyncSession, zone: ZoneInfo) -> date | None:
    acted = await session.scalar(select(func.min(Interaction.at)))
    used = _day(await session.scalar(select(func.min(ActivityDay.day))))
    days = [d for d in (local_day(acted, zone) if acted else None, used) if d is not None]
    return min(days) if days else None


async def forget(session: AsyncSession, zone: str, day: date) -> None:
    """Drop what was counted from ``day`` on (it is counted again)."""
    for table in (AdoptionDay, AdoptionTally):
        await session.execute(delete(table).where(table.zone == zone, table.day >= day))
    p = AdoptionPeriod
    for period, since in (("week", week_start(day)), ("month", month_start(day))):
        await session.execute(delete(p).where(p.zone == zone, p.period == period, p.start >= since))
    m = AdoptionMark
    await session.execute(delete(m).where(m.zone == zone, m.day > day))


async def _drop(session: AsyncSession, zone: str) -> None:
    for table in (*TABLES, AdoptionFill):
        await session.execute(delete(table).where(table.zone == zone))


async def do_fill_adoption(
    session: AsyncSession, *, zone: ZoneInfo, now: datetime | None = None, max_days: int = MAX_DAYS
) -> int:
    """Count the closed days of ``zone`` not counted yet (at most ``max_days`` of them) after
    counting again from any day a later log row was written into; drop the roll-ups of any
    other zone. Returns how many days were counted. Does not commit; several processes may
    run it (the primary keys turn a second count of the same days into an error that the
    housekeeping loop logs, and the next round finds them counted)."""
    name = zone.key
    for (other,) in await session.execute(
        select(AdoptionFill.zone).where(AdoptionFill.zone != name)
    ):
        await _drop(session, other)
    seen = await session.scalar(select(func.max(Interaction.id))) or 0
    fill = await session.get(AdoptionFill, name, with_for_update=True)
    if fill is None:
        first = await _first_day(session, zone)
        if first is None:
            return 0
        fill = AdoptionFill(zone=name, filled_to=first, interaction_id=0)
        session.add(fill)
    else:
        late = await session.scalar(
            select(func.min(Interaction.at)).where(Interaction.id > fill.interaction_id)
        )
        if late is not None and local_day(late, zone) < fill.filled_to:
            fill.filled_to = local_day(late, zone)
            await forget(session, name, fill.filled_to)
    end = min(closed_until(zone, now or utcnow()), fill.filled_to + timedelta(days=max_days))
    counted = 0
    while fill.filled_to < end:
        stop = min(next_month(fill.filled_to), end)
        await _count(session, zone, fill.filled_to, stop)
        counted += (stop - fill.filled_to).days
        fill.filled_to = stop
    fill.interaction_id = seen
    await session.flush()
    return counted


async def do_recount_adoption(session: AsyncSession) -> None:
    """Drop the adoption roll-ups of every time zone: housekeeping counts every day again (for
    when log rows were deleted or rewritten, which ids do not reveal). Does not commit."""
    for table in (*TABLES, AdoptionFill):
        await session.execute(delete(table))
