"""The Social Software Value Matrix and its journey, computed from the interaction log.

Only the rows of the grid count (``scope`` within a silo, across silos, with external parties:
decided from both sides as they were when it happened); the interactions between two externals
(``externals``) and those of members in no silo (``no_silo``) are given beside it, ``apart``,
never in its shares. Each cell (scope × new/existing tie):

- *interactions*: the rows in the cell;
- *ties*: the distinct ``tie_key`` among them (a tie can count in both its cells: its first
  row in the window is "new", later ones "existing");
- *share*: interactions / all the grid's interactions in the range (0 when there are none).

*people*: the distinct people of the grid's rows (with a unit filter, those who were in the
unit at the time: never their counterparts).

The **stage is cumulative**: "operational" by default; "cultural" once the across-silo share
reaches ``stage_across_threshold``; "transformation" once it does **and** the external share
reaches ``stage_external_threshold``.

The **journey** gives the same figures period by period (ISO weeks or months of the
organisation's time zone), each period clipped to the range; a period is ``partial`` while it
is not over, or when the range cuts it. By week, each week carries a **rolling stage**: the
stage of the four weeks ending with it (read from the three weeks before the range too, never
after its end), with hysteresis — it moves up as soon as a threshold is reached and down only
when the share falls below ``HYSTERESIS`` (80 %) of it.

**The privacy floor**: a group's figures computed from 1 to ``MIN_GROUP`` - 1 people are
withheld (null), its people count included; when some periods of a shown range are withheld,
their sum is the range's minus the others', so more periods are withheld with them until what
subtraction gives covers at least ``MIN_GROUP`` people. A window of fewer people has no
rolling stage, and the hysteresis starts again after it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import matrix_counts, matrix_sums
from atoll.analytics.matrix_counts import Group, Tally, Window
from atoll.analytics.periods import PERIODS, Span, spans
from atoll.analytics.policy import MIN_GROUP
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import as_utc, rfc3339, utcnow
from atoll.org.models import Unit

SCOPES = ("within", "across", "external")
TIES = ("existing", "new")
CELLS = tuple((scope, tie) for scope in SCOPES for tie in TIES)
STAGES = ("operational", "cultural", "transformation")
HYSTERESIS = 0.8  # a rolling stage moves down only below this share of its threshold


def check_range(start: datetime, end: datetime) -> None:
    if as_utc(start) >= as_utc(end):
        raise Invalid.field("from", "must be before 'to'")


def check_period(period: str) -> None:
    if period not in PERIODS:
        raise Invalid.field("period", "must be 'month' or 'week'")


async def unit_subtree(session: AsyncSession, unit_id: int) -> list[int]:
    """The ids of the unit and every unit below it; 422 for an unknown unit."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise Invalid.field("unit_id", "there is no unit with this id")
    if unit.path == "":
        return list((await session.execute(select(Unit.id))).scalars())
    below = (Unit.path == unit.path) | Unit.path.startswith(unit.path + "/", autoescape=True)
    return list((await session.execute(select(Unit.id).where(below))).scalars())


def shown(people: int) -> bool:
    """Figures from no one (nothing happened) or from ``MIN_GROUP`` people or more."""
    return people == 0 or people >= MIN_GROUP


def stage_of(
    interactions: dict[str, int], settings: Settings, level: int | None = None
) -> str | None:
    """The cumulative stage of these interactions per scope of the grid (None without any).
    Given the ``level`` (0, 1, 2) a rolling stage held until now, a threshold it has reached
    holds while the share stays at or above ``HYSTERESIS`` of it."""
    total = sum(interactions.get(scope, 0) for scope in SCOPES)
    if total == 0:
        return None
    across = interactions.get("across", 0) / total
    external = interactions.get("external", 0) / total

    def reached(share: float, threshold: float, held: bool) -> bool:
        return share >= threshold or (held and share >= HYSTERESIS * threshold)

    held = level or 0
    cultural = reached(across, settings.stage_across_threshold, held >= 1)
    transformation = cultural and reached(external, settings.stage_external_threshold, held >= 2)
    return STAGES[2 if transformation else 1 if cultural else 0]


def _by_scope(group: Group) -> dict[str, int]:
    out: dict[str, int] = {}
    for (scope, _), (n, _) in group.cells.items():
        out[scope] = out.get(scope, 0) + n
    return out


def _figures(group: Group, settings: Settings, show: bool) -> dict[str, Any]:
    """total, people, suppressed, stage and the six cells; all null when withheld."""
    total = group.total
    cells = []
    for scope, tie in CELLS:
        n, ties = group.cells.get((scope, tie == "new"), (0, 0))
        cells.append(
            {
                "scope": scope,
                "tie": tie,
                "interactions": n if show else None,
                "ties": ties if show else None,
                "share": (n / total if total else 0.0) if show else None,
            }
        )
    return {
        "total": total if show else None,
        "people": group.people if show else None,
        "suppressed": not show,
        "stage": stage_of(_by_scope(group), settings) if show else None,
        "cells": cells,
    }


async def value_matrix(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    unit_id: int | None,
    period: str,
    settings: Settings,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The matrix over [start, end) and the journey period by period (see the module);
    ``now`` (default: the clock) tells which periods are not over yet."""
    check_range(start, end)
    check_period(period)
    start, end, zone = as_utc(start), as_utc(end), settings.zone
    periods = spans(start, end, period, zone)
    units = await unit_subtree(session, unit_id) if unit_id is not None else None
    where: dict[str, Any] = {"start": start, "end": end, "spans": periods, "period": period}
    if units is None:
        tally = await matrix_sums.org_tally(session, zone=zone, **where)
    else:
        tally = await matrix_counts.unit_tally(session, zone=zone, units=units, **where)
    withheld = await _withheld(session, tally, periods, start, end, units)
    rolling = _rolling(tally.windows, periods, settings) if period == "week" else {}
    moment = as_utc(now or utcnow())
    journey = [
        {
            "period": span.label,
            "start": rfc3339(span.start),
            "end": rfc3339(span.end),
            "partial": span.end > moment or span.start < start or span.end > end,
        }
        | _figures(tally.periods[span.key], settings, span.key not in withheld)
        | {"rolling_stage": rolling.get(span.key)}
        for span in periods
    ]
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "unit_id": str(unit_id) if unit_id is not None else None,
        "period": period,
        "timezone": settings.timezone,
        **_figures(tally.whole, settings, shown(tally.whole.people)),
        "thresholds": {
            "across": settings.stage_across_threshold,
            "external": settings.stage_external_threshold,
        },
        "apart": {
            scope: {"interactions": n, "people": people}
            if shown(people)
            else {"interactions": None, "people": None}
            for scope, (n, people) in tally.apart.items()
        },
        "journey": journey,
    }


async def _withheld(
    session: AsyncSession,
    tally: Tally,
    periods: list[Span],
    start: datetime,
    end: datetime,
    units: list[int] | None,
) -> set[str]:
    """The periods withheld: those of 1 to 4 people, and, when the range is shown, as many
    more (the smallest first) as it takes for their sum — the range's figures minus the
    shown periods' — to be about ``MIN_GROUP`` people or more."""
    out = {span.key for span in periods if not shown(tally.periods[span.key].people)}
    if not out or not shown(tally.whole.people) or tally.whole.people == 0:
        return out
    bounds = {span.key: (max(span.start, start), min(span.end, end)) for span in periods}
    while True:
        together = await matrix_counts.people_of(session, [bounds[k] for k in out], units)
        if shown(together):
            return out
        rest = [s.key for s in periods if s.key not in out and tally.periods[s.key].people]
        if not rest:
            return out
        out.add(min(rest, key=lambda k: (tally.periods[k].total, tally.periods[k].people)))


def _rolling(
    windows: dict[str, Window], periods: list[Span], settings: Settings
) -> dict[str, str | None]:
    """Each week's rolling stage: the stage of its four weeks, with hysteresis (see the
    module); none for a window of 1 to 4 people, after which the hysteresis starts again."""
    out: dict[str, str | None] = {}
    level: int | None = None
    for span in periods:
        window = windows[span.key]
        if not shown(window.people) or window.people == 0:
            out[span.key], level = None, None
            continue
        stage = stage_of(window.interactions, settings, level)
        out[span.key] = stage
        level = STAGES.index(stage) if stage else None
    return out
