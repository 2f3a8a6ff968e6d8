"""Closed periods of the interaction log, counted once: what the value matrix sums over whole
months (and ISO weeks) of the organisation's time zone without reading the log's rows again.

For each period that has ended (``CLOSED_AFTER`` past its end), ``interaction_month`` holds
the period's rows counted by cell (scope, new_tie) and, per ``side``, by the period in which
the row's previous appearance happened (``prev_month``; ``NEVER`` when there was none):

- side "cell": ``cell_prev_at`` — every row once, so these counts sum to the interactions;
- side "actor": ``actor_prev_at``; side "target": ``target_prev_at`` (rows with a target).

Each count belongs to a calendar: the kind of period (``period``: "month" or "week"; the key
``month`` is the period's first day, a Monday for a week) and the time zone (``zone``, its
IANA name): the periods are those of that zone (``periods.spans``), and counts made for one
zone are never read for another.

A range that starts on the first day of a month counts a row's tie or person as first seen
in the range when its previous appearance is before that day, i.e. its ``prev_month`` is an
earlier month — so the matrix's distinct ties and people of whole months come out of these
counts exactly (see ``matrix_sums``). A week's counts only tell apart previous appearances in
the ``WEEKS_BACK`` weeks before it (earlier ones count as the fourth week before): enough for
the first seen in the week and in the four weeks ending with it (the rolling stage), and
fewer rows to read.

The counts are derived from the log. Housekeeping stores those of every closed period that
has none yet (``do_fill_closed_months``, in the app's zone); a read never writes: it counts a
period not stored yet from the log itself (the same numbers, more slowly). They go stale only
when rows of a closed period change: ``recount`` (the log's rebuild) drops them all, and a row
recorded with a time in a period that may have closed drops that period's counts, in every
zone (``forget_month``), until housekeeping fills it again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, case, delete, func, literal, select, true, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from atoll.analytics.models import Interaction, InteractionMonth
from atoll.analytics.periods import local_day, midnight, next_start, period_start, which
from atoll.kit.time import as_utc, utcnow

NEVER = "0000-00-00"  # prev_month of a row with no previous appearance: before every period
# A period is closed this long after its end: no transaction still open can write into it.
CLOSED_AFTER = timedelta(days=1)
UTC_ZONE = ZoneInfo("UTC")
CALENDARS = ("month", "week")
# A week's counts tell previous appearances apart up to this many weeks back (what the rolling
# stage's four-week windows need); earlier ones count as that week's.
WEEKS_BACK = 4
# How far a time zone's clock can be from UTC (UTC-12 to UTC+14).
WEST, EAST = timedelta(hours=12), timedelta(hours=14)


def month_key(moment: datetime, zone: ZoneInfo = UTC_ZONE, period: str = "month") -> str:
    """The key of the period ``moment`` falls in: its first day in ``zone``."""
    return period_start(local_day(moment, zone), period).isoformat()


def month_end(moment: datetime) -> datetime:
    """The earliest instant at which the month or the ISO week holding ``moment`` can end, in
    any time zone: what ``record_interaction`` asks to know whether a row may come late for
    counts already stored (``is_closed``, then ``forget_month``)."""
    moment = as_utc(moment)

    def earliest(boundary_after: Any) -> datetime:
        # The period of a zone z holds moment + z on its clock and ends at its next boundary
        # B, at B - z in UTC. Unless a boundary falls within the zones' spread (then some
        # zone is about to reach it), B is the same for every zone and UTC+14 ends first.
        boundary = boundary_after(moment - WEST)
        return moment if boundary <= moment + EAST else boundary - EAST

    def next_month(t: datetime) -> datetime:
        return datetime.combine(next_start(t.date(), "month"), time(0), tzinfo=UTC)

    def next_monday(t: datetime) -> datetime:
        return datetime.combine(next_start(period_start(t.date(), "week"), "week"), time(0), UTC)

    return min(earliest(next_month), earliest(next_monday))


def is_closed(end: datetime, now: datetime | None = None) -> bool:
    return as_utc(end) + CLOSED_AFTER <= (now or utcnow())


def _calendar(
    first: date, last: date, period: str, zone: ZoneInfo
) -> tuple[list[datetime], list[str]]:
    """The bounds (UTC) and keys of the zone's periods from the one holding ``first`` to the
    one holding ``last``."""
    bounds, keys = [], []
    day = period_start(first, period)
    while day <= last:
        bounds.append(midnight(day, zone))
        keys.append(day.isoformat())
        day = next_start(day, period)
    bounds.append(midnight(day, zone))
    return bounds, keys


def _count(
    key: str, start: datetime, end: datetime, first: date, period: str, zone: ZoneInfo
) -> Select[Any]:
    """SELECT the counts of the log's rows in the period [start, end) (keyed ``key``), each
    previous appearance placed in its period of the zone by a CASE over the periods' bounds
    from the log's first day on."""
    i = Interaction
    first = min(first, local_day(start, zone))
    if period == "week":  # earlier than the fourth week before: as the fourth week before
        first = local_day(start, zone) - timedelta(weeks=WEEKS_BACK)
    bounds, keys = _calendar(first, local_day(end - timedelta(microseconds=1), zone), period, zone)

    def side(label: str, prev: Any, *where: Any) -> Select[Any]:
        return select(
            i.scope,
            i.new_tie,
            literal(label).label("side"),
            which(prev, bounds, keys).label("prev"),
        ).where(i.at >= start, i.at < end, *where)

    sides = union_all(
        side("cell", i.cell_prev_at),
        side("actor", i.actor_prev_at),
        side("target", i.target_prev_at, i.target_id.is_not(None)),
    ).subquery()
    prev = func.coalesce(sides.c.prev, NEVER)
    return select(
        literal(key).label("month"),
        sides.c.scope,
        sides.c.new_tie,
        sides.c.side,
        prev.label("prev_month"),
        func.count().label("count"),
    ).group_by(sides.c.scope, sides.c.new_tie, sides.c.side, prev)


async def _first_day(session: AsyncSession, zone: ZoneInfo) -> date | None:
    """The zone's day of the log's first row; None for an empty log."""
    first = await session.scalar(select(func.min(Interaction.at)))
    return None if first is None else local_day(first, zone)


async def sums_of(
    session: AsyncSession,
    periods: Sequence[tuple[str, datetime, datetime, Sequence[str]]],
    *,
    period: str = "month",
    zone: ZoneInfo = UTC_ZONE,
) -> list[Any]:
    """Summed in SQL, the counts of these closed periods of the zone, given as (key, start,
    end, limits): per period, cell and side ("cell", or "person" for both sides), the
    ``count`` and, for each key of its limits, ``first<n>``: the count of those whose previous
    appearance is in an earlier period than that key (first seen since it). The periods
    stored for this calendar are read, the others counted from the log. Writes nothing."""
    if not periods:
        return []
    m = InteractionMonth
    calendar = (m.zone == zone.key, m.period == period)
    keys = [key for key, _, _, _ in periods]
    stored = select(m.month).where(*calendar, m.month.in_(keys)).distinct()
    have = set((await session.execute(stored)).scalars())
    parts: list[Select[Any]] = []
    if have:
        columns = (m.month, m.scope, m.new_tie, m.side, m.prev_month, m.count)
        parts.append(select(*columns).where(*calendar, m.month.in_(sorted(have))))
    missing = [(key, s, e) for key, s, e, _ in periods if key not in have]
    first = await _first_day(session, zone) if missing else None
    if first is not None:
        parts += [_count(key, s, e, first, period, zone) for key, s, e in missing]
    if not parts:
        return []
    source = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    width = len(periods[0][3])
    rows = [
        select(literal(key).label("month"), *(literal(k).label(f"k{n}") for n, k in enumerate(ks)))
        for key, _, _, ks in periods
    ]
    limits = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery()
    side = case((source.c.side == "cell", "cell"), else_="person")

    def since(n: int) -> Any:
        first_seen = source.c.prev_month < limits.c[f"k{n}"]
        return func.sum(case((first_seen, source.c.count), else_=0)).label(f"first{n}")

    result = await session.execute(
        select(
            source.c.month,
            source.c.scope,
            source.c.new_tie,
            side.label("side"),
            func.sum(source.c.count).label("count"),
            *(since(n) for n in range(width)),
        )
        .select_from(source.join(limits, limits.c.month == source.c.month))
        .group_by(source.c.month, source.c.scope, source.c.new_tie, side)
    )
    return list(result)


async def _store(
    session: AsyncSession, key: str, start: datetime, end: datetime, first: date, period: str,
    zone: ZoneInfo,
) -> bool:  # fmt: skip
    """Store one closed period's counts (none when another process already did)."""
    counted = _count(key, start, end, first, period, zone).subquery()
    columns = ["month", "scope", "new_tie", "side", "prev_month", "count", "period", "zone"]
    # (WHERE true: SQLite's grammar cannot tell an upsert's ON from a join's without it.)
    rows = select(*counted.c, literal(period), literal(zone.key)).where(true())
    dialect = (await session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(InteractionMonth).from_select(columns, rows).on_conflict_do_nothing()
    result = await session.execute(statement)
    return bool(cast("CursorResult[Any]", result).rowcount)


async def do_fill_closed_months(
    session: AsyncSession, now: datetime | None = None, *, zone: ZoneInfo = UTC_ZONE
) -> int:
    """Store the counts of every closed month and ISO week of ``zone`` that has none yet
    (housekeeping: a period that has just closed, one whose counts a late row dropped); return
    how many periods were stored (one without rows has nothing to store and costs an empty
    index range each time). Several processes may run it at once. Does not commit."""
    first = await _first_day(session, zone)
    if first is None:
        return 0
    moment, filled = now or utcnow(), 0
    for period in CALENDARS:
        m = InteractionMonth
        have = set(
            (
                await session.execute(
                    select(m.month).where(m.zone == zone.key, m.period == period).distinct()
                )
            ).scalars()
        )
        day = period_start(first, period)
        while is_closed(end := midnight(next_start(day, period), zone), moment):
            if day.isoformat() not in have:
                start = midnight(day, zone)
                filled += await _store(session, day.isoformat(), start, end, first, period, zone)
            day = next_start(day, period)
    return filled


async def forget_month(session: AsyncSession, at: datetime) -> None:
    """Drop the counts of the periods ``at`` falls in, in every zone (a row was written there
    after they may have closed): the months and weeks holding it somewhere between UTC-12
    and UTC+14."""
    at = as_utc(at)
    days = {(at - WEST).date(), at.date(), (at + EAST).date()}
    keys = {period_start(d, p).isoformat() for d in days for p in CALENDARS}
    await session.execute(delete(InteractionMonth).where(InteractionMonth.month.in_(keys)))


async def recount(
    session: AsyncSession, now: datetime | None = None, *, zone: ZoneInfo = UTC_ZONE
) -> None:
    """Drop every period's counts, in every zone, and count the closed periods again from
    the log: those of ``zone`` and of every zone that had counts."""
    m = InteractionMonth
    zones = {zone.key, *(await session.execute(select(m.zone).distinct())).scalars()}
    await session.execute(delete(m))
    for name in sorted(zones):
        await do_fill_closed_months(session, now, zone=ZoneInfo(name))
