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

The counts are derived from the log and filled on demand, one month at a time. They go stale
only when rows of a closed month change: ``rebuild_ties`` recounts every closed month, and a
row recorded with a time in a closed month drops that month's counts (``forget_month``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextClause, bindparam, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

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


def _fill_sql(dialect: str) -> str:
    """INSERT the counts of the log's rows in [:start, :end) (whole months)."""
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
        "INSERT INTO interaction_month (month, scope, new_tie, side, prev_month, count) "
        f"SELECT month, scope, new_tie, side, prev_month, COUNT(*) FROM ({sides}) AS sides "
        "GROUP BY month, scope, new_tie, side, prev_month "
        "ON CONFLICT DO NOTHING"
    )


def _fill(dialect: str) -> TextClause:
    return text(_fill_sql(dialect)).bindparams(
        bindparam("start", type_=UtcDateTime), bindparam("end", type_=UtcDateTime)
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


async def counts_of(
    session: AsyncSession, months: Sequence[tuple[str, datetime, datetime]]
) -> list[InteractionMonth]:
    """The counts of these closed months, given as (key, start, end): read, and first
    filled for those that have none yet (a month without rows is counted again each time,
    at the cost of an empty index range)."""
    if not months:
        return []
    keys = [key for key, _, _ in months]
    stored = await session.execute(select(InteractionMonth).where(InteractionMonth.month.in_(keys)))
    rows = list(stored.scalars())
    have = {r.month for r in rows}
    missing = [(s, e) for key, s, e in months if key not in have]
    if not missing:
        return rows
    sql = _fill(await _dialect(session))
    for start, end in missing:
        await session.execute(sql, {"start": as_utc(start), "end": as_utc(end)})
    filled = await session.execute(
        select(InteractionMonth).where(
            InteractionMonth.month.in_([month_key(s) for s, _ in missing])
        )
    )
    return rows + list(filled.scalars())


async def forget_month(session: AsyncSession, at: datetime) -> None:
    """Drop the counts of the month ``at`` falls in (a row was written there after it closed)."""
    await session.execute(delete(InteractionMonth).where(InteractionMonth.month == month_key(at)))


async def recount(session: AsyncSession, now: datetime | None = None) -> None:
    """Drop every month's counts and count the closed months again from the log."""
    await session.execute(delete(InteractionMonth))
    first = await session.scalar(text("SELECT MIN(at) FROM interaction"))
    if first is None:
        return
    if isinstance(first, str):  # SQLite hands back the stored text
        first = datetime.fromisoformat(first)
    start = as_utc(first).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
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
