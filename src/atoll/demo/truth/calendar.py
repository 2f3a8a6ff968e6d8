"""Days, ISO weeks and calendar months in the organisation's time zone, for the truth (its
own, apart from the analytics domain's): a range runs from the midnight at or before its
start to the midnight at or after its end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class Span:
    label: str
    start: datetime  # UTC
    end: datetime  # UTC


def midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def snap(start: datetime, end: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    first = midnight(local_day(start, zone), zone)
    last_day = local_day(end, zone)
    last = midnight(last_day, zone)
    if last < end:
        last = midnight(last_day + timedelta(days=1), zone)
    return first, last


def _first_of(day: date, period: str) -> date:
    return day.replace(day=1) if period == "month" else day - timedelta(days=day.weekday())


def _after(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _label(day: date, period: str) -> str:
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def spans(start: datetime, end: datetime, period: str, zone: tzinfo) -> list[Span]:
    """The whole periods (not cut) that overlap [start, end), in order."""
    out = []
    day = _first_of(local_day(start, zone), period)
    while midnight(day, zone) < end:
        following = _after(day, period)
        out.append(Span(_label(day, period), midnight(day, zone), midnight(following, zone)))
        day = following
    return out


def days(start: datetime, end: datetime, zone: tzinfo) -> list[date]:
    """The local days of [start, end) (a snapped range)."""
    first, out = local_day(start, zone), []
    while midnight(first, zone) < end:
        out.append(first)
        first += timedelta(days=1)
    return out
