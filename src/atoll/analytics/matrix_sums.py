"""The value matrix of the whole organisation as sums (see ``matrix_counts`` for the figures).

A tie counts in a stretch of the log when its row's previous row on the same tie in the same
cell (``cell_prev_at``) is absent or before the stretch's start, a person when their previous
appearance in the grid (``actor_prev_at``, ``target_prev_at``) is: so distinct counts over any
stretch are plain sums. A stretch that is a whole closed period (month, ISO week) of the zone
is summed from its stored counts (months.py), the others from the log's rows, one stretch at a
time along the covering index ``ix_interaction_at_cells``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import months
from atoll.analytics.matrix_counts import (
    PRE_WEEKS,
    Cell,
    Group,
    Tally,
    Window,
    aligned,
    apart_people,
    week_starts,
)
from atoll.analytics.models import APART_SCOPES, GRID_SCOPES, Interaction
from atoll.analytics.periods import Span, local_day, midnight, next_start, period_start
from atoll.kit.time import utcnow


@dataclass(frozen=True)
class Seg:
    """A stretch of the log counted in one go, with the moments since which its ties and
    people count as first seen (the range's start, its period's, the windows')."""

    key: str  # the period it belongs to
    start: datetime
    end: datetime
    since: tuple[datetime, ...]
    calendar: str | None  # a whole closed period of this calendar: read from the stored counts


@dataclass
class SegCounts:
    cells: dict[Cell, int] = field(default_factory=dict)
    ties: dict[Cell, list[int]] = field(default_factory=dict)  # per moment of ``since``
    people: list[int] = field(default_factory=list)  # of the grid, per moment of ``since``


def _stored(seg_start: datetime, seg_end: datetime, calendar: str, zone: ZoneInfo) -> bool:
    first = local_day(seg_start, zone)
    whole = aligned(seg_start, calendar, zone) and seg_end == midnight(
        next_start(period_start(first, calendar), calendar), zone
    )
    return whole and months.is_closed(seg_end, utcnow())


def segments(
    start: datetime, end: datetime, spans: list[Span], period: str, zone: ZoneInfo
) -> tuple[list[Seg], bool]:
    """The journey's stretches (and, by week, the three weeks before): each clipped period
    with since = (its own start, then by week the four windows' starts), and, by month, the
    range's start first when the range begins on a month (then the range's own figures come
    out of the same sums: the second value says so)."""
    # (A week's stored counts cannot say whether an appearance was before a range that began
    # more than four weeks earlier: by week the range is counted on its own.)
    with_range = period == "month" and aligned(start, period, zone)
    weeks = week_starts(start, end, zone) if period == "week" else []
    out: list[Seg] = []
    for index, span in enumerate(spans):
        lo, hi = max(span.start, start), min(span.end, end)
        since: tuple[datetime, ...] = ((start,) if with_range else ()) + (lo,)
        if period == "week":
            since += tuple(weeks[index : index + PRE_WEEKS + 1])
            if lo > span.start:  # the first week's days before the range, for its windows
                pre = tuple(weeks[index : index + PRE_WEEKS + 1])
                out.append(Seg("pre:" + span.key, span.start, lo, pre, None))
        calendar = (
            period
            if _stored(lo, hi, period, zone) and all(aligned(s, period, zone) for s in since)
            else None
        )
        out.append(Seg(span.key, lo, hi, since, calendar))
    for back in range(PRE_WEEKS if period == "week" else 0):
        lo, hi = weeks[back], weeks[back + 1]
        key = local_day(lo, zone).isoformat()  # a week before the range: its Monday
        since = tuple(weeks[max(back - PRE_WEEKS, 0) : back + 1])
        since = (lo,) + (weeks[0],) * (PRE_WEEKS + 1 - len(since)) + since  # as a week's
        out.append(Seg(key, lo, hi, since, "week" if _stored(lo, hi, "week", zone) else None))
    return out, with_range


def range_segments(start: datetime, end: datetime, zone: ZoneInfo) -> list[Seg]:
    """The range alone, when the journey's sums do not give it: by the zone's months when it
    begins on one (whole closed months from their counts), else in one stretch."""
    if not aligned(start, "month", zone):
        return [Seg("range", start, end, (start,), None)]
    out, day = [], local_day(start, zone)
    while midnight(day, zone) < end:
        following = next_start(day, "month")
        lo, hi = midnight(day, zone), min(midnight(following, zone), end)
        calendar = "month" if _stored(lo, hi, "month", zone) else None
        out.append(Seg(day.isoformat(), lo, hi, (start,), calendar))
        day = following
    return out


async def count_segments(
    session: AsyncSession, segs: Sequence[Seg], zone: ZoneInfo
) -> dict[str, SegCounts]:
    """Each stretch's counts: stored periods summed from ``interaction_month`` (one read per
    calendar and number of moments), the others from the log's rows in it."""
    out: dict[str, SegCounts] = {}
    for calendar in months.CALENDARS:
        for width in sorted({len(s.since) for s in segs if s.calendar == calendar}):
            stored = [s for s in segs if s.calendar == calendar and len(s.since) == width]
            limits = {s.key: [months.month_key(t, zone, calendar) for t in s.since] for s in stored}
            rows = await months.sums_of(
                session,
                [(s.key, s.start, s.end, limits[s.key]) for s in stored],
                period=calendar,
                zone=zone,
            )
            out |= _from_stored(stored, rows)
    for seg in segs:
        if seg.calendar is None:
            out[seg.key] = await _from_log(session, seg)
    return out


def _from_stored(segs: list[Seg], rows: list[Any]) -> dict[str, SegCounts]:
    out = {s.key: SegCounts(people=[0] * len(s.since)) for s in segs}
    for month, scope, new_tie, side, n, *firsts in rows:
        counts, cell = out[month], (scope, bool(new_tie))
        if side == "cell":
            counts.cells[cell] = counts.cells.get(cell, 0) + int(n)
            ties = counts.ties.setdefault(cell, [0] * len(firsts))
            for k, first in enumerate(firsts):
                ties[k] += int(first)
        elif scope in GRID_SCOPES:
            for k, first in enumerate(firsts):
                counts.people[k] += int(first)
    return out


async def _from_log(session: AsyncSession, seg: Seg) -> SegCounts:
    i = Interaction

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    def first(prev: Any, since: datetime) -> Any:
        return or_(prev.is_(None), prev < since)

    def people(since: datetime) -> Any:
        return count(first(i.actor_prev_at, since)) + count(
            i.target_id.is_not(None), first(i.target_prev_at, since)
        )

    result = await session.execute(
        select(
            i.scope,
            i.new_tie,
            func.count(),
            *(count(first(i.cell_prev_at, t)) for t in seg.since),
            *(people(t) for t in seg.since),
        )
        .where(i.at >= seg.start, i.at < seg.end)
        .group_by(i.scope, i.new_tie)
    )
    out = SegCounts(people=[0] * len(seg.since))
    width = len(seg.since)
    for scope, new_tie, n, *firsts in result:
        cell = (scope, bool(new_tie))
        out.cells[cell] = int(n)
        out.ties[cell] = [int(v) for v in firsts[:width]]
        if scope in GRID_SCOPES:
            for k in range(width):
                out.people[k] += int(firsts[width + k])
    return out


async def org_tally(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    spans: list[Span],
    period: str,
    zone: ZoneInfo,
) -> Tally:
    """The whole organisation, as sums (see the module)."""
    segs, with_range = segments(start, end, spans, period, zone)
    counted = await count_segments(session, segs, zone)
    periods: dict[str, Group] = {}
    at = 1 if with_range else 0  # where the period's own start is in ``since``
    for span in spans:
        periods[span.key] = _group(counted[span.key], at)
    if with_range:
        whole_parts = [counted[span.key] for span in spans]
    else:
        whole_parts = list(
            (await count_segments(session, range_segments(start, end, zone), zone)).values()
        )
    whole = Group()
    apart: dict[str, int] = defaultdict(int)
    for part in whole_parts:
        _add(whole, _group(part, 0))
        for (scope, _), n in part.cells.items():
            if scope in APART_SCOPES:
                apart[scope] += n
    windows = _windows(counted, spans, start, end, zone) if period == "week" else {}
    people = await apart_people(session, start, end, None) if any(apart.values()) else {}
    return Tally(whole, periods, {s: (apart[s], people.get(s, 0)) for s in APART_SCOPES}, windows)


def _group(counts: SegCounts, at: int) -> Group:
    """A stretch's figures, ties and people first seen since its ``since[at]``."""
    cells = {
        cell: (n, counts.ties[cell][at])
        for cell, n in counts.cells.items()
        if cell[0] in GRID_SCOPES
    }
    return Group(cells, counts.people[at] if counts.people else 0)


def _add(into: Group, part: Group) -> None:
    for cell, (n, ties) in part.cells.items():
        total, distinct = into.cells.get(cell, (0, 0))
        into.cells[cell] = (total + n, distinct + ties)
    into.people += part.people


def _windows(
    counted: dict[str, SegCounts], spans: list[Span], start: datetime, end: datetime,
    zone: ZoneInfo,
) -> dict[str, Window]:  # fmt: skip
    """Each week's four weeks, from the stretches' counts: a stretch of week i holds its
    people first seen since the starts of weeks i-3 .. i, the last four moments of its
    ``since`` — the windows ending with weeks i .. i+3."""
    weeks = week_starts(start, end, zone)
    by_week: list[list[SegCounts]] = [[] for _ in range(len(weeks) - 1)]
    for key, counts in counted.items():
        moment = date.fromisoformat(key.removeprefix("pre:"))
        index = weeks.index(midnight(moment, zone))
        by_week[index].append(counts)
    out: dict[str, Window] = {}
    for index, span in enumerate(spans):
        j = index + PRE_WEEKS  # this week's place among ``weeks``
        window = Window()
        for back in range(PRE_WEEKS + 1):
            for counts in by_week[j - back]:
                for (scope, _), n in counts.cells.items():
                    if scope in GRID_SCOPES:
                        window.interactions[scope] = window.interactions.get(scope, 0) + n
                window.people += counts.people[len(counts.people) - 1 - (PRE_WEEKS - back)]
        out[span.key] = window
    return out
