"""What adoption over a range of days adds up to, before any privacy floor: each active
person's totals over the range, the distinct active people and contributors of each week and
month, and the windows of DAU/MAU and the Community Health Index.

Days counted by housekeeping are read from the roll-ups (``adoption_store``); the days after
them (today, and whatever housekeeping has not reached) from the log itself, linked to the
running totals where the counted days end — so the figures are the same whether or not
housekeeping has run, only the time to compute them differs.

Every day here is a day of the organisation's time zone. The range is [first, stop); the
windows end with it: the last 30 days [stop − 30, stop) and the last 12 months [stop − 1 year,
stop)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.adoption_days import Last, PersonDay, Totals, fetch, link, read_rows
from atoll.analytics.adoption_store import filled_to, totals_sql
from atoll.analytics.local_days import month_start, week_start
from atoll.analytics.models import AdoptionDay, AdoptionPeriod, AdoptionTally

WINDOW = timedelta(days=30)


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Counted:
    """The range's counts: ``people`` the active people's totals over the range (``weeks``:
    the weeks in which they contributed within it); ``weekly`` and ``monthly`` the distinct
    (active, contributor) people by the first day of each period; ``person_days`` and
    ``active_30`` the active person-days and people of the last 30 days, ``active_year`` the
    people active in the last 12 months."""

    first: date
    stop: date
    people: dict[int, Totals] = field(default_factory=dict)
    weekly: Counter[tuple[date, str]] = field(default_factory=Counter)
    monthly: Counter[tuple[date, str]] = field(default_factory=Counter)
    person_days: int = 0
    active_30: int = 0
    active_year: int = 0

    @property
    def window(self) -> date:
        return self.stop - WINDOW

    @property
    def year(self) -> date:
        return year_before(self.stop)

    @property
    def low(self) -> date:
        """The first day any figure looks at."""
        return min(week_start(self.first), self.year)


async def count_adoption(
    session: AsyncSession, *, first: date, stop: date, zone: ZoneInfo
) -> Counted:
    """The counts of the days [first, stop) of ``zone`` (and of the windows ending with it)."""
    out = Counted(first, stop)
    filled = await filled_to(session, zone.key)
    split = min(max(filled or out.low, out.low), stop)  # counted before it, read after it
    rows = await read_rows(session, split, stop, zone)
    before: dict[int, Last] = {}  # where the days read from the log take up, person by person
    earlier: set[int] = set()  # who contributed in the range's first week before it began
    first_week: set[int] = set()  # who contributed in the range's first week
    if split > out.low:
        await _counted_series(session, zone.key, out, split)
        before = await _counted_people(session, zone.key, out, split, earlier)
        first_week = await _counted_first_week(session, zone.key, out, split)
    _add_days(out, link(rows, before), earlier, first_week)
    _close(out, earlier, first_week)
    return out


# --- days counted by housekeeping ----------------------------------------------------------------


async def _counted_series(session: AsyncSession, zone: str, out: Counted, split: date) -> None:
    """The weeks and months of the counted days of the range, and the windows."""
    for period, target in (("week", out.weekly), ("month", out.monthly)):
        whole = await _whole_periods(session, zone, period, out.first, split)
        for start, measure, count in whole:
            target[start, measure] += count
        done = {start for start, _, _ in whole}
        for start, end in _periods(period, out.first, split):
            if start not in done:
                await _tally_period(session, zone, target, period, max(start, out.first), end)
    await _counted_windows(session, zone, out, split)


def _periods(period: str, first: date, stop: date) -> list[tuple[date, date]]:
    """The weeks or months overlapping [first, stop), each cut to it: (start, end)."""
    out = []
    start = week_start(first) if period == "week" else month_start(first)
    while start < stop:
        end = start + timedelta(days=7) if period == "week" else _next_month(start)
        out.append((start, min(end, stop)))
        start = end
    return out


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


async def _whole_periods(
    session: AsyncSession, zone: str, period: str, first: date, split: date
) -> list[tuple[date, str, int]]:
    """The stored counts of the periods that lie wholly in [first, split)."""
    p = AdoptionPeriod
    rows = await session.execute(
        select(p.start, p.measure, p.count).where(
            p.zone == zone, p.period == period, p.start >= first, p.start < split
        )
    )
    ends = dict(_periods(period, first, split))
    whole = []
    for start, measure, count in rows:
        day = _as_date(start)
        if ends.get(day) == (day + timedelta(days=7) if period == "week" else _next_month(day)):
            whole.append((day, measure, int(count)))
    return whole


async def _tally_period(
    session: AsyncSession,
    zone: str,
    target: Counter[tuple[date, str]],
    period: str,
    first: date,
    end: date,
) -> None:
    """The distinct people of the counted days [first, end) of one period (its start or
    end cut by the range, or not all counted yet), from the tallies."""
    t = AdoptionTally
    rows = await session.execute(
        select(t.measure, func.sum(t.count))
        .where(t.zone == zone, t.day >= first, t.day < end, t.prev < first)
        .group_by(t.measure)
    )
    start = week_start(first) if period == "week" else month_start(first)
    for measure, count in rows:
        target[start, measure] += int(count)


async def _counted_windows(session: AsyncSession, zone: str, out: Counted, split: date) -> None:
    t = AdoptionTally
    window = (t.day >= out.window, t.prev < out.window)
    year = and_(t.day >= out.year, t.prev < out.year)
    days, month, active_year = (
        await session.execute(
            select(
                func.sum(case((t.day >= out.window, t.count), else_=0)),
                func.sum(case((and_(*window), t.count), else_=0)),
                func.sum(case((year, t.count), else_=0)),
            ).where(t.zone == zone, t.day < split, t.measure == "active", t.day >= out.year)
        )
    ).one()
    out.person_days = int(days or 0)
    out.active_30 = int(month or 0)
    out.active_year = int(active_year or 0)


async def _sides(
    session: AsyncSession, zone: str, out: Counted, split: date
) -> tuple[Any, Any, Any]:
    """Everyone's totals at ``split`` (b) and at the start of the range if earlier (a), joined."""
    after = (await totals_sql(session, zone, split)).subquery()
    ahead = (await totals_sql(session, zone, min(out.first, split))).subquery()
    return after.c, ahead.c, after.outerjoin(ahead, ahead.c.person == after.c.person)


async def _counted_people(
    session: AsyncSession, zone: str, out: Counted, split: date, earlier: set[int]
) -> dict[int, Last]:
    """Each person's totals over the counted days of the range (the difference of their totals
    at its two ends), into ``out.people``; into ``earlier`` those who contributed in the range's
    first week before it began. Returns everyone's last active and contributing days before
    ``split``, where the days read from the log take up (left out: people not seen since
    before any figure looks)."""
    b, a, joined = await _sides(session, zone, out, split)
    names = ("active_days", "contribution_days", "weeks", "posts", "given", "received")
    spans = [b[n] - func.coalesce(a[n], 0) for n in names]
    side = a if out.first <= split else b  # at the start of the range, or as near as counted
    monday = literal(week_start(out.first), Date())
    rows = await fetch(
        session,
        select(
            b.person,
            *spans,
            # As stored (SQLite's text): only the days read from the log use them, and
            # turning thousands of them into dates would cost more than the query.
            type_coerce(b.last_active, String),
            type_coerce(b.last_contribution, String),
            case((side.last_contribution >= monday, 1), else_=0),
        )
        .select_from(joined)
        .where(or_(b.last_active >= literal(out.low, Date()), spans[5] > 0)),
    )
    before: dict[int, Last] = {}
    for person, c0, c1, c2, c3, c4, c5, last_active, last_contribution, began in rows:
        if c0 or c5:
            out.people[person] = Totals.of([int(n) for n in (c0, c1, c2, c3, c4, c5)])
        before[person] = (last_active, last_contribution)
        if began:
            earlier.add(person)
    return before


async def _counted_first_week(
    session: AsyncSession, zone: str, out: Counted, split: date
) -> set[int]:
    """Who contributed in the counted days of the range's first week, when the range starts
    within a week (a week that began before it)."""
    end = min(week_start(out.first) + timedelta(days=7), split)
    if out.first == week_start(out.first) or out.first >= end:
        return set()
    d = AdoptionDay
    rows = await session.scalars(
        select(d.person_id).where(
            d.zone == zone, d.day >= out.first, d.day < end, d.contributions > 0
        )
    )
    return set(rows)


def _as_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- days read from the log ----------------------------------------------------------------------


def _add_days(out: Counted, days: list[PersonDay], earlier: set[int], first_week: set[int]) -> None:
    """The days read from the log: into each person's totals over the range, and into the
    period and window counts as a tally row of theirs would count."""
    first, window, year = out.first, out.window, out.year
    monday = week_start(first)
    week_end = monday + timedelta(days=7)
    periods: dict[date, tuple[date, date, date, date]] = {}
    for d in days:
        day = d.day
        known = periods.get(day)
        if known is None:
            w, m = week_start(day), month_start(day)
            known = periods[day] = (w, m, max(w, first), max(m, first))
        w, m, since_week, since_month = known
        if day < first:
            if d.contributions and day >= monday:
                earlier.add(d.person)
        else:
            out.people.setdefault(d.person, Totals()).add(d)
            if d.contributions and day < week_end:
                first_week.add(d.person)
        if d.active:
            prev = d.prev_active
            if day >= first:
                out.weekly[w, "active"] += prev is None or prev < since_week
                out.monthly[m, "active"] += prev is None or prev < since_month
            if day >= window:
                out.person_days += 1
                out.active_30 += prev is None or prev < window
            if day >= year:
                out.active_year += prev is None or prev < year
        if d.contributions and day >= first:
            prev = d.prev_contribution
            out.weekly[w, "contributor"] += prev is None or prev < since_week
            out.monthly[m, "contributor"] += prev is None or prev < since_month


def _close(out: Counted, earlier: set[int], first_week: set[int]) -> None:
    """Keep the active people; count the range's first week for those whose contribution in
    it was not their first of that week (they contributed earlier that week, before the
    range began)."""
    for person in first_week & earlier:
        if person in out.people:
            out.people[person].weeks += 1
    out.people = {p: t for p, t in out.people.items() if t.active_days > 0}
