"""Calendar periods (ISO weeks and months) and days in the organisation's time zone
(``ATOLL_TIMEZONE``, default UTC), and the SQL that buckets a timestamp into them, the same on
SQLite and PostgreSQL: ``which`` for any zone (a CASE over the periods' bounds), ``bucket`` and
``day_of`` for UTC only.

A period is keyed by the ISO date of its first day ("2026-03-01" for March 2026, the Monday
"2026-03-09" for ISO week 2026-W11). Its bounds are the midnights of that zone, as UTC
instants. Every analytics range is snapped to those midnights (``snap``): a range always
holds whole days of the organisation, so two ranges a millisecond apart are the same range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import TIMESTAMP, case, cast, func, literal, literal_column
from sqlalchemy.sql.elements import ColumnElement

from atoll.db.base import UtcDateTime
from atoll.kit.time import as_utc

Period = Literal["month", "week"]
PERIODS: tuple[str, ...] = ("month", "week")


@dataclass(frozen=True)
class Span:
    """One calendar period: ``key`` as the SQL bucket gives it, ``label`` as shown."""

    key: str
    label: str
    start: datetime
    end: datetime


def period_start(day: date, period: str) -> date:
    if period == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def next_start(day: date, period: str) -> date:
    if period == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day + timedelta(days=7)


def label_of(first_day: date, period: str) -> str:
    if period == "month":
        return f"{first_day.year:04d}-{first_day.month:02d}"
    year, week, _ = first_day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def midnight(day: date, zone: tzinfo = UTC) -> datetime:
    """The instant (UTC) the day begins in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: tzinfo = UTC) -> date:
    """The calendar day ``moment`` falls on in ``zone``."""
    return as_utc(moment).astimezone(zone).date()


def snap(start: datetime, end: datetime, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """[start, end) widened to whole days of ``zone``: ``start`` back to the midnight at or
    before it, ``end`` forward to the midnight at or after it."""
    first = midnight(local_day(start, zone), zone)
    last = midnight(local_day(end, zone), zone)
    if last < as_utc(end):
        last = midnight(local_day(end, zone) + timedelta(days=1), zone)
    return first, last


def spans(start: datetime, end: datetime, period: str, zone: tzinfo = UTC) -> list[Span]:
    """The periods of ``zone`` that overlap [start, end), in order."""
    start, end = as_utc(start), as_utc(end)
    out: list[Span] = []
    first = period_start(local_day(start, zone), period)
    while midnight(first, zone) < end:
        following = next_start(first, period)
        out.append(
            Span(
                first.isoformat(),
                label_of(first, period),
                midnight(first, zone),
                midnight(following, zone),
            )
        )
        first = following
    return out


def which(column: Any, bounds: list[datetime], values: list[Any]) -> ColumnElement[Any]:
    """SQL giving ``values[i]`` when ``bounds[i] <= column < bounds[i + 1]``: a balanced tree
    of CASEs over the bounds (UTC instants, ascending), so each row costs a handful of
    comparisons however many periods there are. Below the first bound: ``values[0]``; from
    the last one on: ``values[-1]`` (there is one value fewer than bounds, or as many). NULL
    stays NULL. Works for any time zone's periods, on both databases."""
    assert len(bounds) >= 1 and len(values) in (len(bounds) - 1, len(bounds)) and values

    def tree(low: int, high: int) -> ColumnElement[Any]:
        # values[low..high], split at bounds[mid]: the rows below it take the left half.
        if low == high:
            return literal(values[low])
        mid = (low + high + 1) // 2
        return case(
            (column < literal(bounds[mid], UtcDateTime), tree(low, mid - 1)),
            else_=tree(mid, high),
        )

    inner = tree(0, len(values) - 1)
    return case((column.is_(None), None), else_=inner)


def bucket(column: Any, period: str, dialect: str) -> ColumnElement[str]:
    """SQL giving the key ("YYYY-MM-DD", the first day) of the period a UTC timestamp is in."""
    if dialect == "postgresql":
        utc = column.op("AT TIME ZONE")(literal_column("'UTC'"))
        field: ColumnElement[str] = literal_column("'month'" if period == "month" else "'week'")
        return func.to_char(func.date_trunc(field, utc), "YYYY-MM-DD")
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (UTC). "weekday 0" moves forward to the next
    # Sunday (or stays on one); six days back is that week's Monday.
    if period == "month":
        return func.date(column, "start of month")
    return func.date(column, "weekday 0", "-6 days")


def day_of(column: Any, dialect: str) -> ColumnElement[Any]:
    """SQL giving the UTC calendar day of a timestamp, comparable with a Date column."""
    if dialect == "postgresql":
        return func.date(column.op("AT TIME ZONE")(literal_column("'UTC'")))
    return func.date(column)


def day_bucket(column: Any, period: str, dialect: str) -> ColumnElement[str]:
    """Like ``bucket`` for a calendar day (a Date column, or ``day_of``)."""
    if dialect == "postgresql":
        field: ColumnElement[str] = literal_column("'month'" if period == "month" else "'week'")
        return func.to_char(func.date_trunc(field, cast(column, TIMESTAMP)), "YYYY-MM-DD")
    if period == "month":
        return func.date(column, "start of month")
    return func.date(column, "weekday 0", "-6 days")


def months_back(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before today's: "the last 3 months" in
    March are January, February and March (so far)."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)
