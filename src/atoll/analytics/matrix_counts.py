"""Counting the value matrix from the interaction log: per cell (scope × new/existing tie) the
interactions and the distinct ties, and the distinct people — over the range, over each period
of the journey (clipped to the range), over the four weeks ending with each week (the rolling
stage), and the rows of the scopes reported apart (``Tally``).

Two ways, one answer: the whole organisation sums (``matrix_sums.org_tally``); one unit is
counted here (``unit_tally``): the rows whose actor or target was in the unit (or below it) at
the time, with plain distinct counts over them in one statement. The people are those of the
unit: a side counts when it was in the unit then, never their counterparts. With no unit it
counts every row and every side — what the sums must equal (the tests compare both ways).

Periods are those of the organisation's time zone; no date arithmetic runs in SQL: a row's
period is found by a CASE over the periods' bounds (``periods.which``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from atoll.analytics.models import ACTIVITY, APART, APART_SCOPES, GRID_SCOPES, Interaction
from atoll.analytics.periods import Span, local_day, midnight, next_start, period_start, which

Cell = tuple[str, bool]  # (scope, new_tie) as the log has them
PRE_WEEKS = 3  # a week's rolling stage reads the three weeks before it


@dataclass
class Group:
    """One group of rows: per cell (interactions, distinct ties), and distinct people."""

    cells: dict[Cell, tuple[int, int]] = field(default_factory=dict)
    people: int = 0

    @property
    def total(self) -> int:
        return sum(n for (scope, _), (n, _) in self.cells.items() if scope in GRID_SCOPES)


@dataclass
class Window:
    """The four weeks ending with a week: interactions per scope of the grid, and people."""

    interactions: dict[str, int] = field(default_factory=dict)
    people: int = 0


@dataclass
class Tally:
    whole: Group
    periods: dict[str, Group]  # by the period's key (clipped to the range)
    apart: dict[str, tuple[int, int]]  # scope apart → (interactions, people) over the range
    windows: dict[str, Window]  # by week key: the rolling stage's (by week only)


def aligned(moment: datetime, calendar: str, zone: ZoneInfo) -> bool:
    return midnight(period_start(local_day(moment, zone), calendar), zone) == moment


def week_starts(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The zone's Mondays from three weeks before the one holding ``start`` to the end of
    the one holding the last moment before ``end``, with that week's end."""
    day = period_start(local_day(start, zone), "week") - timedelta(weeks=PRE_WEEKS)
    out = [midnight(day, zone)]
    while out[-1] < end:
        day = next_start(day, "week")
        out.append(midnight(day, zone))
    return out


async def apart_people(
    session: AsyncSession, start: datetime, end: datetime, units: list[int] | None
) -> dict[str, int]:
    """Per scope reported apart, the distinct people of its rows in [start, end) (of the
    units, when given)."""
    i = Interaction
    where = (i.at >= start, i.at < end, APART)  # as the partial index says it
    actor = select(i.scope, i.actor_id.label("person")).where(*where)
    target = select(i.scope, i.target_id).where(*where, i.target_id.is_not(None))
    if units is not None:
        actor = actor.where(i.actor_unit_id.in_(units))
        target = target.where(i.target_unit_id.in_(units))
    sides = union(actor, target).subquery()
    result = await session.execute(select(sides.c.scope, func.count()).group_by(sides.c.scope))
    return {scope: int(n) for scope, n in result}


async def people_of(
    session: AsyncSession, stretches: Sequence[tuple[datetime, datetime]], units: list[int] | None
) -> int:
    """The distinct people of the grid's rows in these stretches (of the units, when given)."""
    i = Interaction
    within = or_(*(and_(i.at >= lo, i.at < hi) for lo, hi in stretches))
    where = (within, i.scope.in_(GRID_SCOPES))
    actor = select(i.actor_id.label("person")).where(*where)
    target = select(i.target_id).where(*where, i.target_id.is_not(None))
    if units is not None:
        actor = actor.where(i.actor_unit_id.in_(units))
        target = target.where(i.target_unit_id.in_(units))
    sides = union(actor, target).subquery()
    return int(await session.scalar(select(func.count()).select_from(sides)) or 0)


def _none(kind: Any) -> Any:
    return cast(null(), kind)


def _unit_rows(
    start: datetime, end: datetime, bounds: list[datetime], units: list[int] | None,
    lo: datetime,
) -> Any:  # fmt: skip
    """The rows touching the units, each with its period's place among ``bounds``, whether
    it is in the range, and which of its sides were in the units."""
    i = Interaction
    a_in: ColumnElement[bool]
    t_in: ColumnElement[bool]
    if units is None:  # everyone: the plain distinct counts the sums must equal
        a_in, t_in = i.actor_id.is_not(None), i.target_id.is_not(None)
    else:
        a_in, t_in = i.actor_unit_id.in_(units), i.target_unit_id.in_(units)
    return (
        select(
            which(i.at, bounds, list(range(len(bounds) - 1))).label("k"),
            case((i.at >= start, 1), else_=0).label("inr"),
            i.scope,
            i.new_tie,
            i.tie_key,
            i.actor_id,
            i.target_id,
            case((a_in, 1), else_=0).label("a_in"),
            case((t_in, 1), else_=0).label("t_in"),
        )
        .where(i.at >= lo, i.at < end, i.scope != ACTIVITY, or_(a_in, t_in))
        .cte("u")
        .prefix_with("MATERIALIZED")
    )


def _unit_statement(
    start: datetime, end: datetime, bounds: list[datetime], units: list[int] | None,
    weekly: bool,
) -> Select[Any]:  # fmt: skip
    """Every count of ``unit_tally`` in one statement over the unit's rows, read once."""
    u = _unit_rows(start, end, bounds, units, bounds[0] if weekly else start)
    p = (
        union_all(
            select(u.c.k, u.c.inr, u.c.scope, u.c.actor_id.label("person")).where(u.c.a_in == 1),
            select(u.c.k, u.c.inr, u.c.scope, u.c.target_id).where(u.c.t_in == 1),
        )
        .cte("p")
        .prefix_with("MATERIALIZED")
    )
    grid, apart = p.c.scope.in_(GRID_SCOPES), p.c.scope.in_(APART_SCOPES)
    n, ties, people = (
        func.count(),
        func.count(func.distinct(u.c.tie_key)),
        func.count(func.distinct(p.c.person)),
    )
    no_int, no_str, no_bool = _none(Integer), _none(String), _none(Boolean)
    parts = [
        select(literal("cells"), u.c.k, u.c.inr, u.c.scope, u.c.new_tie, n, ties).group_by(
            u.c.k, u.c.inr, u.c.scope, u.c.new_tie
        ),
        select(literal("range"), no_int, no_int, u.c.scope, u.c.new_tie, n, ties)
        .where(u.c.inr == 1)
        .group_by(u.c.scope, u.c.new_tie),
        select(literal("people"), p.c.k, no_int, no_str, no_bool, people, no_int)
        .where(p.c.inr == 1, grid)
        .group_by(p.c.k),
        select(literal("everyone"), no_int, no_int, no_str, no_bool, people, no_int).where(
            p.c.inr == 1, grid
        ),
        select(literal("apart"), no_int, no_int, p.c.scope, no_bool, people, no_int)
        .where(p.c.inr == 1, apart)
        .group_by(p.c.scope),
    ]
    if weekly:
        seen = select(p.c.k, p.c.person).where(grid).distinct().cte("d")
        spread = union_all(
            *(select((seen.c.k + back).label("j"), seen.c.person) for back in range(PRE_WEEKS + 1))
        ).subquery()
        parts.append(
            select(
                literal("window"), spread.c.j, no_int, no_str, no_bool,
                func.count(func.distinct(spread.c.person)), no_int,
            ).group_by(spread.c.j)
        )  # fmt: skip
    return union_all(*parts)  # type: ignore[return-value]


async def unit_tally(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    spans: list[Span],
    period: str,
    zone: ZoneInfo,
    units: list[int] | None,
) -> Tally:
    """The rows touching the units (see the module), counted in one statement; with
    ``units`` None, every row and every side (what ``org_tally``'s sums must equal)."""
    weekly = period == "week"
    bounds = week_starts(start, end, zone) if weekly else [s.start for s in spans] + [spans[-1].end]
    offset = PRE_WEEKS if weekly else 0  # the first period's place among the bounds
    keys = {index + offset: span.key for index, span in enumerate(spans)}
    periods = {span.key: Group() for span in spans}
    whole, apart_n, apart_p = (
        Group(),
        dict.fromkeys(APART_SCOPES, 0),
        dict.fromkeys(APART_SCOPES, 0),
    )
    by_k: dict[int, dict[str, int]] = defaultdict(dict)
    window_people: dict[int, int] = {}
    result = await session.execute(_unit_statement(start, end, bounds, units, weekly))
    for tag, k, inr, scope, new_tie, n, d in result:
        if tag == "cells":
            if scope in GRID_SCOPES:
                by_k[k][scope] = by_k[k].get(scope, 0) + n
                if inr and k in keys:
                    periods[keys[k]].cells[(scope, bool(new_tie))] = (n, d)
        elif tag == "range":
            if scope in GRID_SCOPES:
                whole.cells[(scope, bool(new_tie))] = (n, d)
            elif scope in APART_SCOPES:
                apart_n[scope] += n
        elif tag == "people" and k in keys:
            periods[keys[k]].people = n
        elif tag == "everyone":
            whole.people = n
        elif tag == "apart" and scope in APART_SCOPES:
            apart_p[scope] = n
        elif tag == "window":
            window_people[k] = n
    windows: dict[str, Window] = {}
    for j, key in keys.items() if weekly else ():
        interactions: dict[str, int] = defaultdict(int)
        for back in range(PRE_WEEKS + 1):
            for scope, n in by_k.get(j - back, {}).items():
                interactions[scope] += n
        windows[key] = Window(dict(interactions), window_people.get(j, 0))
    apart = {scope: (apart_n[scope], apart_p[scope]) for scope in APART_SCOPES}
    return Tally(whole, periods, apart, windows)
