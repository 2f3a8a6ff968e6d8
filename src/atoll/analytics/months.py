# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""Closed months of the interaction log, counted once: what the value matrix sums over whole
calendar months (UTC) without reading the log's rows again.

For each month that has ended (``CLOSED_AFTER`` past its end), ``interaction_month`` holds the
month's rows counted by cell (scope, new_tie) and, per ``side``, by the month in which the
row's previous appearance happened (``prev_month``; ``NEVER`` when there was none):

- side "cell": ``cell_prev_at`` — every row once, so these counts sum to the interactions;
- side "actor": ``actor_prev_at``; side "target": ``target_prev_at`` (rows with a target).

A range that starts on the first of a month (midnight UTC) counts a row's tie or person as
first seen in the range when its previous appearance is before that day, i.e. its
``prev_month`` is an earlier month — so the matrix's distinct ties and people of whole
months come out of these counts exactly (see ``matrix._summed``).

The counts are derived from the log. Housekeeping stores those of every closed month that has
none yet (``do_fill_closed_months``); a read never writes: it counts a month not stored yet
from the log itself (the same numbers, more slowly). They go stale only when rows of a closed
month change: ``rebuild_ties`` recounts every closed month, and a row recorded with a time in
a closed month drops that month's counts (``forget_month``) until housekeeping fills it
again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import (
    Boolean,
    CursorResult,
    Integer,
    String,
    TextClause,
    bindparam,
    delete,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from atoll.analytics.models import InteractionMonth
from atoll.db.base import UtcDateTime
from atoll.kit.time import as_utc, utcnow

NEVER = "0000-00-00"  # prev_month of a row with no previous appearance: before every month
# A month is closed this long after its end: no transaction still open can write into it.
CLOSED_AFTER = timedelta(days=1)

_MONTH = {
    "sqlite": "date({column}, 'start of month')",
    "postgresql": "to_char(date_trunc('month', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
}


def _count_sql(dialect: str) -> str:
    """SELECT the counts of the log's rows in [:start, :end) (whole months)."""
    name = "postgresql" if dialect == "postgresql" else "sqlite"

    def month(column: str) -> str:
        return _MONTH[name].format(column=column)

    def side(label: str, prev: str, extra: str = "") -> str:
        return (
            f"SELECT {month('at')} AS month, scope, new_tie, '{label}' AS side, "
            f"COALESCE({month(prev)}, '{NEVER}') AS prev_month FROM interaction "
            f"WHERE at >= :start AND at < :end{extra}"
        )

    sides = " UNION ALL ".join(
        (
            side("cell", "cell_prev_at"),
            side("actor", "actor_prev_at"),
            side("target", "target_prev_at", " AND target_id IS NOT NULL"),
        )
    )
    return (
        "SELECT month, scope, new_tie, side, prev_month, COUNT(*) AS count "
        f"FROM ({sides}) AS sides GROUP BY month, scope, new_tie, side, prev_month"
    )


def _range_params(statement: TextClause) -> TextClause:
    return statement.bindparams(
        bindparam("start", type_=UtcDateTime), bindparam("end", type_=UtcDateTime)
    )


def _count(dialect: str) -> TextualSelect:
    return _range_params(text(_count_sql(dialect))).columns(
        month=String, scope=String, new_tie=Boolean, side=String, prev_month=String, count=Integer
    )


def _fill(dialect: str) -> TextClause:
    return _range_params(
        text(
            "INSERT INTO interaction_month (month, scope, new_tie, side, prev_month, count) "
            f"{_count_sql(dialect)} ON CONFLICT DO NOTHING"
        )
    )


def month_key(moment: datetime) -> str:
    return as_utc(moment).date().replace(day=1).isoformat()


def month_end(moment: datetime) -> datetime:
    """Midnight UTC of the first day of the month after the one ``moment`` is in."""
    first = as_utc(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def is_closed(month_end: datetime, now: datetime | None = None) -> bool:
    return as_utc(month_end) + CLOSED_AFTER <= (now or utcnow())


async def _dialect(session: AsyncSession) -> str:
    return (await session.connection()).dialect.name


class MonthCount(Protocol):
    """One count of a month: a stored ``InteractionMonth`` or a row counted from the log."""

    month: str
    scope: str
    new_tie: bool
    side: str
    prev_month: str
    count: int


async def counts_of(
    session: AsyncSession, months: Sequence[tuple[str, datetime, datetime]]
) -> list[MonthCount]:
    """The counts of these closed months, given as (key, start, end): those stored, and those
    of the months housekeeping has not stored yet counted from the log. Writes nothing."""
    if not months:
        return []
    keys = [key for key, _, _ in months]
    stored = await session.execute(select(InteractionMonth).where(InteractionMonth.month.in_(keys)))
    rows: list[MonthCount] = list(stored.scalars())
    have = {r.month for r in rows}
    missing = [(s, e) for key, s, e in months if key not in have]
    if missing:
        count = _count(await _dialect(session))
        for start, end in missing:
            counted = await session.execute(count, {"start": as_utc(start), "end": as_utc(end)})
            rows.extend(cast("list[MonthCount]", list(counted)))
    return rows


async def do_fill_closed_months(session: AsyncSession, now: datetime | None = None) -> int:
    """Store the counts of every closed month of the log that has none yet (housekeeping: a
    month that has just closed, one whose counts a late row dropped); return how many months
    were stored (a month without rows has nothing to store, and costs an empty index range
    each time). Several processes may run it at once. Does not commit."""
    first = await _first_month(session)
    if first is None:
        return 0
    have = set((await session.execute(select(InteractionMonth.month).distinct())).scalars())
    fill, filled = _fill(await _dialect(session)), 0
    start, moment = first, now or utcnow()
    while is_closed(end := month_end(start), moment):
        if month_key(start) not in have:
            result = await session.execute(fill, {"start": start, "end": end})
            filled += 1 if cast("CursorResult[Any]", result).rowcount else 0
        start = end
    return filled


async def forget_month(session: AsyncSession, at: datetime) -> None:
    """Drop the counts of the month ``at`` falls in (a row was written there after it closed)."""
    await session.execute(delete(InteractionMonth).where(InteractionMonth.month == month_key(at)))


async def _first_month(session: AsyncSession) -> datetime | None:
    """Midnight UTC of the first day of the log's first month; None for an empty log."""
    first = await session.scalar(text("SELECT MIN(at) FROM interaction"))
    if first is None:
        return None
    if isinstance(first, str):  # SQLite hands back the stored text
        first = datetime.fromisoformat(first)
    return as_utc(first).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def recount(session: AsyncSession, now: datetime | None = None) -> None:
    """Drop every month's counts and count the closed months again from the log."""
    await session.execute(delete(InteractionMonth))
    start = await _first_month(session)
    if start is None:
        return
    end = start
    moment = now or utcnow()
    while True:
        following = month_end(end)
        if not is_closed(following, moment):
            break
        end = following
    if end > start:
        params: dict[str, Any] = {"start": start, "end": end}
        await session.execute(_fill(await _dialect(session)), params)
