"""The Social Software Value Matrix and its journey, computed from the interaction log.

Each interaction row already carries its cell: ``scope`` (within a silo, across silos, with
externals — decided from both sides as they were when it happened) and ``new_tie``. So a cell
is a plain SQL aggregate over a range of the ``at`` index:

- *interactions*: the rows in the cell;
- *ties*: the distinct ``tie_key`` among them (a tie can count in both its cells: its first
  row in the window is "new", later ones "existing");
- *share*: interactions / all interactions in the range (0 when there are none);
- *people*: distinct people involved — every actor and every target person.

The **stage** is the furthest row of the grid whose share passes its threshold:
"transformation" when the external share ≥ ``stage_external_threshold``, else "cultural" when
the across share ≥ ``stage_across_threshold``, else "operational".

A unit filter keeps the rows whose actor or target was, at the time (``actor_unit_id`` /
``target_unit_id``), in the unit or any unit below it. When fewer than ``MIN_GROUP`` people are
involved the figures are withheld (null), the six cells still listed."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from atoll.analytics import months
from atoll.analytics.models import Interaction
from atoll.analytics.periods import PERIODS, Span, bucket, spans
from atoll.analytics.policy import may_show
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import as_utc, rfc3339
from atoll.org.models import Unit

SCOPES = ("within", "across", "external")
TIES = ("existing", "new")
CELLS = tuple((scope, tie) for scope in SCOPES for tie in TIES)

Counts = dict[tuple[str, str], tuple[int, int]]  # (scope, tie) -> (interactions, ties)


def check_range(start: datetime, end: datetime) -> None:
    if as_utc(start) >= as_utc(end):
        raise Invalid.field("from", "must be before 'to'")


def check_period(period: str) -> None:
    if period not in PERIODS:
        raise Invalid.field("period", "must be 'month' or 'week'")


async def unit_subtree(session: AsyncSession, unit_id: int) -> Select[tuple[int]]:
    """A SELECT of the ids of the unit and every unit below it; 422 for an unknown unit."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise Invalid.field("unit_id", "there is no unit with this id")
    if unit.path == "":
        return select(Unit.id)
    return select(Unit.id).where(
        (Unit.path == unit.path) | Unit.path.startswith(unit.path + "/", autoescape=True)
    )


async def _filters(
    session: AsyncSession, start: datetime, end: datetime, unit_id: int | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        Interaction.at >= start,
        Interaction.at < end,
        Interaction.scope.in_(SCOPES),
    ]
    if unit_id is not None:
        units = await unit_subtree(session, unit_id)
        where.append(Interaction.actor_unit_id.in_(units) | Interaction.target_unit_id.in_(units))
    return where


def stage_of(counts: Counts, total: int, settings: Settings) -> str | None:
    if total == 0:
        return None
    external = sum(counts.get(("external", tie), (0, 0))[0] for tie in TIES)
    across = sum(counts.get(("across", tie), (0, 0))[0] for tie in TIES)
    if external / total >= settings.stage_external_threshold:
        return "transformation"
    if across / total >= settings.stage_across_threshold:
        return "cultural"
    return "operational"


def _figures(counts: Counts, people: int, settings: Settings) -> dict[str, Any]:
    """total, stage, suppressed and the six cells, withheld below the minimum group."""
    shown = may_show(people)
    total = sum(n for n, _ in counts.values())
    cells = []
    for scope, tie in CELLS:
        n, ties = counts.get((scope, tie), (0, 0))
        cells.append(
            {
                "scope": scope,
                "tie": tie,
                "interactions": n if shown else None,
                "ties": ties if shown else None,
                "share": (n / total if total else 0.0) if shown else None,
            }
        )
    return {
        "total": total if shown else None,
        "people": people,
        "suppressed": not shown,
        "stage": stage_of(counts, total, settings) if shown else None,
        "cells": cells,
    }


def _cell(scope: str, new_tie: bool) -> tuple[str, str]:
    return (scope, "new" if new_tie else "existing")


async def value_matrix(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    unit_id: int | None,
    period: str,
    settings: Settings,
) -> dict[str, Any]:
    """The matrix over [start, end) and the journey period by period (see the module)."""
    check_range(start, end)
    check_period(period)
    if unit_id is None:
        overall, everyone, by_period, people_by_period = await _summed(session, start, end, period)
    else:
        overall, everyone, by_period, people_by_period = await _counted(
            session, start, end, unit_id, period
        )
    journey = []
    for span in spans(start, end, period):
        figures = _figures(by_period.get(span.key, {}), people_by_period.get(span.key, 0), settings)
        journey.append(
            {"period": span.label, "start": rfc3339(span.start), "end": rfc3339(span.end)} | figures
        )
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "unit_id": str(unit_id) if unit_id is not None else None,
        "period": period,
        **_figures(overall, everyone, settings),
        "thresholds": {
            "across": settings.stage_across_threshold,
            "external": settings.stage_external_threshold,
        },
        "journey": journey,
    }


Tally = tuple[Counts, int, dict[str, Counts], dict[str, int]]


async def _summed(session: AsyncSession, start: datetime, end: datetime, period: str) -> Tally:
    """The whole organisation, as sums over the range, one period at a time.

    Distinct ties in a cell over a span = the rows in the span whose previous row on the same
    tie in the same cell (``cell_prev_at``) is absent or before the span; distinct people = the
    sides of rows whose person's previous appearance is absent or before it. Exact, since every
    row of the log is counted (no filter besides the time range). Each query reads one
    period's slice of the covering index ``ix_interaction_at_cells``: no sort of the range,
    no per-row date arithmetic; the range's own counts are the sums of the periods'."""
    overall: Counts = {}
    by_period: dict[str, Counts] = defaultdict(dict)
    people_by_period: dict[str, int] = defaultdict(int)
    everyone = 0
    periods = spans(start, end, period)
    counted = await _whole_months(session, start, end, period, periods)
    for span in periods:
        if span.key in counted:
            cells, seen_in_range, seen_in_period = counted[span.key]
        else:
            cells, seen_in_range, seen_in_period = await _span_sums(session, start, end, span)
        for cell, (n, ties_in_range, ties_in_period) in cells.items():
            by_period[span.key][cell] = (n, ties_in_period)
            total, ties = overall.get(cell, (0, 0))
            overall[cell] = (total + n, ties + ties_in_range)
        people_by_period[span.key] += seen_in_period
        everyone += seen_in_range
    return overall, everyone, by_period, people_by_period


# A span's counts: per cell (interactions, ties first seen in the range, ties first seen in
# the span), then people first seen in the range and in the span.
SpanCounts = tuple[dict[tuple[str, str], tuple[int, int, int]], int, int]


async def _span_sums(
    session: AsyncSession, start: datetime, end: datetime, span: Span
) -> SpanCounts:
    """One period's counts summed from the log's rows in it (and in the range)."""
    i = Interaction

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    def first(prev: Any, since: datetime) -> Any:
        return or_(prev.is_(None), prev < since)

    def people(since: datetime) -> Any:
        return count(first(i.actor_prev_at, since)) + count(
            i.target_id.is_not(None), first(i.target_prev_at, since)
        )

    since = max(span.start, as_utc(start))
    result = await session.execute(
        select(
            i.scope,
            i.new_tie,
            func.count(),
            count(first(i.cell_prev_at, start)),
            count(first(i.cell_prev_at, since)),
            people(start),
            people(since),
        )
        .where(i.at >= since, i.at < min(span.end, as_utc(end)), i.scope.in_(SCOPES))
        .group_by(i.scope, i.new_tie)
    )
    cells: dict[tuple[str, str], tuple[int, int, int]] = {}
    seen_in_range = seen_in_period = 0
    for scope, new, n, ties_in_range, ties_in_period, in_range, in_period in result:
        cells[_cell(scope, new)] = (n, int(ties_in_range), int(ties_in_period))
        seen_in_range += int(in_range)
        seen_in_period += int(in_period)
    return cells, seen_in_range, seen_in_period


async def _whole_months(
    session: AsyncSession, start: datetime, end: datetime, period: str, periods: list[Any]
) -> dict[str, SpanCounts]:
    """The figures of the periods that are closed calendar months wholly inside a range that
    starts on the first of a month, from ``interaction_month`` (months.py) instead of the
    log's rows: the same numbers, since a row's tie or person is first seen in the range (or
    the month) exactly when its previous appearance is in an earlier month."""
    start, end = as_utc(start), as_utc(end)
    if period != "month" or not periods or periods[0].start != start:
        return {}  # weeks, or a range that starts within a month
    whole = [
        (p.key, p.start, p.end)
        for p in periods
        if p.start >= start and p.end <= end and months.is_closed(p.end)
    ]
    if not whole:
        return {}
    range_key = periods[0].key
    out: dict[str, SpanCounts] = {key: ({}, 0, 0) for key, _, _ in whole}
    for row in await months.counts_of(session, whole):
        if row.scope not in SCOPES:  # the grid's rows only
            continue
        cells, seen_in_range, seen_in_period = out[row.month]
        before_range = row.prev_month < range_key
        before_month = row.prev_month < row.month
        if row.side == "cell":
            cell = _cell(row.scope, row.new_tie)
            n, ties_in_range, ties_in_month = cells.get(cell, (0, 0, 0))
            cells[cell] = (
                n + row.count,
                ties_in_range + (row.count if before_range else 0),
                ties_in_month + (row.count if before_month else 0),
            )
        else:
            seen_in_range += row.count if before_range else 0
            seen_in_period += row.count if before_month else 0
        out[row.month] = (cells, seen_in_range, seen_in_period)
    return out


async def _counted(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    unit_id: int | None,
    period: str,
) -> Tally:
    """One unit: distinct counts over the rows that touch it (a tie's or a person's previous
    row may lie outside the unit, so the sums of ``_summed`` do not apply). Also works for the
    whole organisation (``unit_id`` None), more slowly: the tests check both ways agree."""
    where = await _filters(session, start, end, unit_id)
    dialect = (await session.connection()).dialect.name
    i = Interaction
    interactions, ties = func.count(), func.count(func.distinct(i.tie_key))

    overall: Counts = {
        _cell(scope, new): (n, t)
        for scope, new, n, t in await session.execute(
            select(i.scope, i.new_tie, interactions, ties)
            .where(*where)
            .group_by(i.scope, i.new_tie)
        )
    }
    key = bucket(i.at, period, dialect)
    by_period: dict[str, Counts] = defaultdict(dict)
    for k, scope, new, n, t in await session.execute(
        select(key, i.scope, i.new_tie, interactions, ties)
        .where(*where)
        .group_by(key, i.scope, i.new_tie)
    ):
        by_period[k][_cell(scope, new)] = (n, t)

    people = union_all(
        select(i.at.label("at"), i.actor_id.label("person")).where(*where),
        select(i.at.label("at"), i.target_id.label("person")).where(
            *where, i.target_id.is_not(None)
        ),
    ).subquery()
    everyone = await session.scalar(select(func.count(func.distinct(people.c.person)))) or 0
    pkey = bucket(people.c.at, period, dialect)
    people_by_period: dict[str, int] = {
        k: n
        for k, n in await session.execute(
            select(pkey, func.count(func.distinct(people.c.person))).group_by(pkey)
        )
    }

    return overall, everyone, by_period, people_by_period
