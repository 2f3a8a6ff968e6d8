"""The organisation's calendar days in SQL: the day, in its time zone (``ATOLL_TIMEZONE``), on
which a UTC timestamp falls — the same on SQLite and PostgreSQL, and the same as Python's
``zoneinfo`` gives (``periods.local_day``), so that a row and the period bounds computed in
Python always agree.

Neither database is asked about the zone: over a range of time the zone's offset from UTC is
constant between its transitions (summer time), so the local day is the UTC timestamp moved by
the offset of its stretch, and the stretches are found here, once per range."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, case, cast, func, literal, literal_column, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from atoll.kit.time import as_utc

Stretch = tuple[datetime, int]  # from this instant (UTC) on, the offset in seconds


def _offset(moment: int, zone: tzinfo) -> int:
    offset = datetime.fromtimestamp(moment, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=256)
def stretches(start: datetime, end: datetime, zone: tzinfo) -> tuple[Stretch, ...]:
    """The zone's offsets over [start, end): the first from ``start``, then one from each
    transition (found to the second, where the zone database puts them)."""
    first, last = int(as_utc(start).timestamp()), int(as_utc(end).timestamp())
    out = [(first, _offset(first, zone))]
    day = 86_400
    moment = first
    while moment < last:
        following = min(moment + day, last)
        if _offset(following, zone) != out[-1][1]:
            low, high = moment, following  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(middle, zone) == out[-1][1]:
                    low = middle
                else:
                    high = middle
            out.append((high, _offset(high, zone)))
        moment = following
    return tuple((datetime.fromtimestamp(m, UTC), seconds) for m, seconds in out)


def zone_day(
    column: Any, start: datetime, end: datetime, zone: tzinfo, dialect: str
) -> ColumnElement[date]:
    """SQL giving the day in ``zone`` of a UTC timestamp column, for rows in [start, end)."""
    pieces = stretches(as_utc(start), as_utc(end), zone)
    if len(pieces) == 1:
        seconds: ColumnElement[Any] = literal(pieces[0][1])
    else:
        # Before the next stretch begins, this one's offset.
        whens = [(column < pieces[i + 1][0], pieces[i][1]) for i in range(len(pieces) - 1)]
        seconds = case(*whens, else_=pieces[-1][1])
    if dialect == "postgresql":
        utc = func.timezone("UTC", column)
        return cast(utc + literal_column("INTERVAL '1 second'") * seconds, Date)
    modifier = func.printf("%+d seconds", seconds)
    return type_coerce(func.date(column, modifier), Date)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)
