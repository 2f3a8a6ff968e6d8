"""The value matrix by THE RULES, from the plan's facts: over a range, per cell (scope ×
new/existing) the interactions, the distinct ties and the share of the grid's interactions;
the people of the grid's interactions; the interactions reported apart (two externals, a
member in no silo) and their people; the cumulative stage; per period (month or ISO week, in the
organisation's time zone) the same, and by week the rolling four-week stage with hysteresis.

With a unit filter, the interactions in which someone of that unit (or a unit below it) took
part, as they were at the time, and the people of that unit in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from atoll.demo.plan import Plan
from atoll.demo.truth import calendar
from atoll.demo.truth.rules import APART, CELLS, Timeline, stage

HYSTERESIS = 0.8  # a rolling stage falls back only below this share of its threshold
MIN_GROUP = 5  # no figure about fewer people
ORDER = ("operational", "cultural", "transformation")


@dataclass(frozen=True)
class Thresholds:
    across: float = 0.15
    external: float = 0.05


@dataclass
class Count:
    interactions: dict[tuple[str, str], int] = field(
        default_factory=lambda: dict.fromkeys(CELLS, 0)
    )
    ties: dict[tuple[str, str], set[tuple[int, int]]] = field(
        default_factory=lambda: {cell: set() for cell in CELLS}
    )
    people: set[int] = field(default_factory=set)
    apart: dict[str, int] = field(default_factory=lambda: dict.fromkeys(APART, 0))
    apart_people: dict[str, set[int]] = field(default_factory=lambda: {s: set() for s in APART})

    @property
    def total(self) -> int:
        return sum(self.interactions.values())

    def share(self, scope: str) -> float:
        total = self.total
        n = sum(self.interactions[(scope, tie)] for tie in ("existing", "new"))
        return n / total if total else 0.0

    def stage(self, th: Thresholds) -> str | None:
        if not self.total:
            return None
        return stage(self.share("across"), self.share("external"), th.across, th.external)

    def as_json(self, th: Thresholds) -> dict[str, Any]:
        total = self.total
        return {
            "total": total,
            "people": len(self.people),
            "stage": self.stage(th),
            "apart": {
                scope: {"interactions": self.apart[scope], "people": len(self.apart_people[scope])}
                for scope in APART
            },
            "cells": [
                {
                    "scope": scope,
                    "tie": tie,
                    "interactions": self.interactions[(scope, tie)],
                    "ties": len(self.ties[(scope, tie)]),
                    "share": self.interactions[(scope, tie)] / total if total else 0.0,
                }
                for scope, tie in CELLS
            ],
        }


def subtree(plan: Plan, unit: int) -> set[int]:
    below = {unit}
    grew = True
    while grew:
        more = {u for u, (parent, _) in plan.units.items() if parent in below} - below
        below |= more
        grew = bool(more)
    return below


def count(log: Timeline, start: datetime, end: datetime, unit: set[int] | None) -> Count:
    out = Count()
    for fact in log.between(start, end):
        if fact.scope is None:
            continue
        actor_in = unit is None or fact.actor_unit in unit
        target_in = unit is None or fact.target_unit in unit
        if not (actor_in or target_in):
            continue
        assert fact.pair is not None and fact.act.target is not None
        people = out.people
        if fact.scope in APART:
            out.apart[fact.scope] += 1
            people = out.apart_people[fact.scope]
        else:
            cell = (fact.scope, "new" if fact.new else "existing")
            out.interactions[cell] += 1
            out.ties[cell].add(fact.pair)
        if actor_in:
            people.add(fact.act.actor)
        if target_in:
            people.add(fact.act.target)
    return out


def _scope_total(figures: Count, scope: str) -> int:
    return sum(figures.interactions[(scope, tie)] for tie in ("existing", "new"))


def rolling(
    log: Timeline,
    weeks: list[calendar.Span],
    end: datetime,
    zone: tzinfo,
    th: Thresholds,
    unit: set[int] | None,
) -> list[str | None]:
    """Each week's rolling stage: the stage of the four weeks ending with it (up to the end
    of the range; the weeks before the range count too), moving up as soon as a threshold
    is reached, down only when a share falls below 80 % of its threshold. A window of fewer
    than 5 people (none included) has no stage shown, and the hysteresis starts again after
    it (a stage held from before it would tell something about it)."""
    first = calendar.local_day(weeks[0].start, zone)
    before = [calendar.midnight(first - timedelta(days=7 * n), zone) for n in (3, 2, 1)]
    bounds = [*before, *(w.start for w in weeks)]
    ends = [*bounds[1:], min(weeks[-1].end, end)]
    per_week = [count(log, a, b, unit) for a, b in zip(bounds, ends, strict=True)]
    out: list[str | None] = []
    held: str | None = None
    for i in range(len(weeks)):
        window = per_week[i : i + 4]
        people = set().union(*(w.people for w in window))
        if len(people) < MIN_GROUP:
            held = None
            out.append(None)
            continue
        total = sum(w.total for w in window)
        across = sum(_scope_total(w, "across") for w in window) / total
        external = sum(_scope_total(w, "external") for w in window) / total
        up = stage(across, external, th.across, th.external)
        if held is not None:
            kept = stage(across, external, th.across * HYSTERESIS, th.external * HYSTERESIS)
            up = ORDER[max(ORDER.index(up), min(ORDER.index(held), ORDER.index(kept)))]
        held = up
        out.append(held)
    return out


def value_matrix(
    plan: Plan,
    log: Timeline,
    *,
    start: datetime,
    end: datetime,
    period: str,
    zone: tzinfo,
    th: Thresholds,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The matrix over [start, end) snapped to whole days, and its journey."""
    start, end = calendar.snap(start, end, zone)
    unit = subtree(plan, unit_id) if unit_id is not None else None
    periods = calendar.spans(start, end, period, zone)
    journey = []
    for span in periods:
        figures = count(log, max(span.start, start), min(span.end, end), unit)
        partial = span.start < start or span.end > end or (now is not None and span.end > now)
        journey.append(
            {"period": span.label, "start": span.start, "end": span.end, "partial": partial}
            | figures.as_json(th)
        )
    if period == "week":
        for entry, rolled in zip(journey, rolling(log, periods, end, zone, th, unit), strict=True):
            entry["rolling_stage"] = rolled
    return (
        {"from": start, "to": end} | count(log, start, end, unit).as_json(th) | {"journey": journey}
    )
