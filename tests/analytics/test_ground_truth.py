"""The analytics figures equal the demo's ground truth, exactly.

The generator keeps the plain facts of everything it makes — who did what toward whom,
where and when; who sat in which unit each month; the unit tree; the days people used Atoll
(``atoll.demo.plan``) — and writes the interaction log with nothing but what
``record_interaction`` would have known live; the product's rebuild classifies the log.
``atoll.demo.truth`` implements THE RULES a second time over those facts, in plain Python,
importing nothing from the analytics domain. Here small organisations are generated with
known seeds and end dates (one of them in a month and a day not over) and the product's
value matrix, network and adoption figures must equal the truth's — every cell, share,
stage, person count and index — on both databases.

Privacy is part of the comparison: a figure the truth computes from 1 to 4 people must be
withheld by the product (None); a figure the product shows must equal the truth's."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.queries import adoption, network, value_matrix
from atoll.analytics.readiness import readiness
from atoll.demo.generator import do_create_demo
from atoll.demo.plan import Plan
from atoll.demo.truth import Thresholds, Truth
from atoll.demo.truth.calendar import snap
from atoll.kit.settings import Settings
from tests.factories import HASHING

MIN_GROUP = 5
CASES = [
    (11, date(2026, 4, 30)),
    (12, date(2026, 2, 14)),
    (14, datetime(2026, 3, 10, 15, 30, tzinfo=UTC)),  # a month and a day not over
]


@dataclass
class Demo:
    plan: Plan
    truth: Truth
    start: datetime
    stop: datetime
    ground: dict[str, Any]


async def _demo(
    db: AsyncSession, settings: Settings, seed: int, end: date, people: int = 80, months: int = 4
) -> Demo:
    result = await do_create_demo(
        db, hashing=HASHING, people=people, months=months, seed=seed, end=end
    )
    await db.commit()
    assert result.plan is not None
    truth = Truth(
        result.plan,
        zone=ZoneInfo(settings.timezone),
        thresholds=Thresholds(settings.stage_across_threshold, settings.stage_external_threshold),
        min_interactions=settings.ei_min_interactions,
    )
    return Demo(result.plan, truth, result.plan.start, result.plan.stop, result.ground_truth)


def _hidden(people: int) -> bool:
    return 0 < people < MIN_GROUP


def _agrees(got: Any, people: int, label: Any) -> None:
    """A count of people: withheld (None) when 1 to 4; when shown, equal. (A count of 5 or
    more may be withheld too, with a smaller one, so that no subtraction gives it back.)"""
    assert got is None or got == people, (label, got, people)
    assert got is None or not _hidden(people), (label, got, people)


# --- the value matrix ------------------------------------------------------------------------


def _cells(entry: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (c["scope"], c["tie"], c["interactions"], c["ties"], c["share"]) for c in entry["cells"]
    ]


def _matrix_figures(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "total": entry["total"],
        "people": entry["people"],
        "stage": entry["stage"],
        "cells": _cells(entry),
    }


def _check_apart(computed: dict[str, Any], planted: dict[str, Any], label: str) -> None:
    """The interactions reported apart, with their people: withheld under the floor."""
    assert set(computed) == set(planted), label
    for scope, wanted in planted.items():
        got = computed[scope]
        _agrees(got["people"], wanted["people"], (label, scope))
        if got["people"] is None:
            assert got["interactions"] is None, (label, scope)
        else:
            assert got["interactions"] == wanted["interactions"], (label, scope)


def _check_matrix_entry(
    computed: dict[str, Any], planted: dict[str, Any], label: str, *, complement: bool = False
) -> None:
    """A period (or the range) as the truth has it; withheld when it is about 1 to 4 people,
    and, with ``complement``, also allowed withheld beside such a one (so that no
    subtraction from the range's total gives it back)."""
    if _hidden(planted["people"]) or (complement and computed["suppressed"]):
        assert computed["suppressed"], label
        assert computed["total"] is None and computed["people"] is None, label
        assert all(c["interactions"] is None for c in computed["cells"]), label
        return
    assert _matrix_figures(computed) == _matrix_figures(planted), label


async def _compare_matrix(
    db: AsyncSession,
    demo: Demo,
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    period: str,
    unit_id: int | None = None,
) -> dict[str, Any]:
    start, end = snap(start, end, ZoneInfo(settings.timezone))  # as the API does
    planted = demo.truth.value_matrix(start, end, period=period, unit_id=unit_id)
    computed = await value_matrix(
        db, start=start, end=end, unit_id=unit_id, period=period, settings=settings
    )
    label = f"{period} {start:%Y-%m-%d}..{end:%Y-%m-%d} unit {unit_id}"
    _check_matrix_entry(computed, planted, label)
    _check_apart(computed["apart"], planted["apart"], label)
    assert [p["period"] for p in computed["journey"]] == [p["period"] for p in planted["journey"]]
    hidden = any(_hidden(p["people"]) for p in planted["journey"])
    for got, wanted in zip(computed["journey"], planted["journey"], strict=True):
        _check_matrix_entry(got, wanted, f"{label} {wanted['period']}", complement=hidden)
        assert got["partial"] == wanted["partial"], (label, wanted["period"])
        if period == "week":
            assert got["rolling_stage"] == wanted["rolling_stage"], (label, wanted["period"])
    return planted


@pytest.mark.parametrize(("seed", "end"), CASES)
async def test_the_value_matrix_month_by_month_equals_the_truth(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    demo = await _demo(db, settings, seed, end)
    planted = await _compare_matrix(
        db, demo, settings, start=demo.start, end=demo.stop, period="month"
    )
    assert planted["total"] > 500  # enough for the comparison to mean something
    assert all(c["interactions"] > 0 for c in planted["cells"])  # every cell, new and old
    assert planted["apart"]["no_silo"]["interactions"]  # the admin, at the company's root
    # A tie counts once per cell over the whole history, however many months it spans.
    assert sum(c["ties"] for c in planted["cells"]) < sum(
        c["ties"] for m in planted["journey"] for c in m["cells"]
    )
    # The ground truth the generator hands back is the same truth.
    assert [m["total"] for m in demo.ground["months"]] == [m["total"] for m in planted["journey"]]


@pytest.mark.parametrize(("seed", "end"), CASES)
async def test_the_value_matrix_week_by_week_and_its_rolling_stage_equal_the_truth(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    demo = await _demo(db, settings, seed, end)
    planted = await _compare_matrix(
        db, demo, settings, start=demo.start, end=demo.stop, period="week"
    )
    assert len({w["rolling_stage"] for w in planted["journey"]}) > 1


async def test_a_range_that_cuts_months_and_a_unit_filter_equal_the_truth(
    db: AsyncSession, settings: Settings
) -> None:
    demo = await _demo(db, settings, 14, datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    start = demo.start + timedelta(days=40, hours=7)  # mid-December, snapped to its midnight
    planted = await _compare_matrix(db, demo, settings, start=start, end=demo.stop, period="month")
    assert planted["journey"][0]["partial"] and planted["journey"][-1]["partial"]
    # By week, the first rolling windows reach back before the range.
    await _compare_matrix(db, demo, settings, start=start, end=demo.stop, period="week")
    departments = [u for u, (_, level) in demo.plan.units.items() if level == 2]
    shown = 0
    for unit in departments[:4]:
        planted = await _compare_matrix(
            db, demo, settings, start=demo.start, end=demo.stop, period="month", unit_id=unit
        )
        shown += not _hidden(planted["people"])
    assert shown


async def test_the_value_matrix_and_adoption_in_another_time_zone_equal_the_truth(
    db: AsyncSession, settings: Settings
) -> None:
    zoned = settings.model_copy(update={"timezone": "Pacific/Auckland"})
    demo = await _demo(db, zoned, 11, date(2026, 4, 30))
    for period in ("month", "week"):
        await _compare_matrix(db, demo, zoned, start=demo.start, end=demo.stop, period=period)
    await _compare_adoption(db, demo, zoned, demo.start, demo.stop)
    await _compare_adoption(db, demo, zoned, demo.stop - timedelta(days=10), demo.stop)


# --- the network -----------------------------------------------------------------------------

UNIT_FIELDS = (
    "people",
    "interactions_within",
    "interactions_across",
    "internal_ties",
    "external_ties",
    "ei",
    "ei_expected",
    "ei_weighted",
    "island",
)


async def _compare_network(
    db: AsyncSession, demo: Demo, settings: Settings, start: datetime, end: datetime
) -> dict[str, Any]:
    start, end = snap(start, end, ZoneInfo(settings.timezone))  # as the API does
    planted = demo.truth.network(start, end)
    computed = await network(
        db,
        start=start,
        end=end,
        level=settings.silo_level,
        settings=settings,
        show_names=True,
    )
    label = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    fields = [f for f in UNIT_FIELDS if f != "ei_weighted"]
    units = {int(u["id"]): {f: u[f] for f in fields} for u in computed["units"]}
    assert units == {u: {f: v[f] for f in fields} for u, v in planted["units"].items()}, label
    assert (computed["ei_org"], computed["ei_org_expected"]) == (
        planted["ei_org"],
        planted["ei_org_expected"],
    ), label
    organisations = {o["name"]: (o["people"], o["interactions"]) for o in computed["organizations"]}
    assert organisations == {
        name: (org["people"], sum(org["interactions"].values()))
        for name, org in planted["organizations"].items()
        if org["people"] >= MIN_GROUP
    }, label
    buckets = {b["silos"]: b["people"] for b in computed["breadth"]["buckets"]}
    assert set(buckets) == set(planted["breadth"]), label
    for bucket, people in planted["breadth"].items():
        _agrees(buckets[bucket], people, (label, "breadth", bucket))
    # The weighted E-I: (E - I) / (E + I) over the interactions of the ties across and within.
    weighted = {int(u["id"]): u["ei_weighted"] for u in computed["units"]}
    assert weighted == {u: v["ei_weighted"] for u, v in planted["units"].items()}, label
    return planted


@pytest.mark.parametrize(("seed", "end"), CASES)
async def test_the_network_equals_the_truth(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    demo = await _demo(db, settings, seed, end)
    planted = await _compare_network(db, demo, settings, demo.start, demo.stop)
    assert len(planted["units"]) >= 3
    last_month = datetime(demo.stop.year, demo.stop.month, 1, tzinfo=UTC)
    if demo.stop - last_month < timedelta(days=7):
        last_month = demo.stop - timedelta(days=31)
    await _compare_network(db, demo, settings, last_month, demo.stop)


async def test_customers_and_partners_show_in_the_network_as_the_truth_has_them(
    db: AsyncSession, settings: Settings
) -> None:
    demo = await _demo(db, settings, 21, date(2026, 3, 31), people=300, months=3)
    planted = demo.truth.network(demo.start, demo.stop)
    guests = {name: org["people"] for name, org in planted["organizations"].items()}
    assert sum(n >= MIN_GROUP for n in guests.values()) >= 2, guests
    await _compare_network(db, demo, settings, demo.start, demo.stop)


# --- adoption --------------------------------------------------------------------------------


def _shown(value: Any, people: int) -> Any:
    return None if _hidden(people) else value


async def _compare_adoption(
    db: AsyncSession, demo: Demo, settings: Settings, start: datetime, end: datetime
) -> dict[str, Any]:
    start, end = snap(start, end, ZoneInfo(settings.timezone))  # as the API does
    planted = demo.truth.adoption(start, end)
    planted["computed"] = computed = await adoption(db, start=start, end=end, settings=settings)
    label = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
    assert computed["active"] == _shown(planted["active"], planted["active"]), label
    for part in ("split", "personas"):
        for key, n in planted[part].items():
            _agrees(computed[part][key], n, (label, part, key))
    assert sum(n is None for n in computed["personas"].values()) != 1, label
    # The rates are withheld when they would give back a count of 1 to 4 people: DAU/MAU with
    # the people active in the last 30 days; the health index with them, those of the 12
    # months, or those of the 12 months not active in the last 30 days.
    month, year = planted["active_30_days"], planted["active_12_months"]
    if _hidden(month):
        assert computed["dau_mau"] is None, label
    else:
        assert computed["dau_mau"] == pytest.approx(planted["dau_mau"], rel=1e-12), label
    if any(_hidden(n) for n in (month, year, year - month)):
        assert computed["health_index"] is None, label
    else:
        assert computed["health_index"] == planted["health_index"], label
    return planted


@pytest.mark.parametrize(("seed", "end"), CASES)
async def test_adoption_equals_the_truth(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    demo = await _demo(db, settings, seed, end)
    whole = await _compare_adoption(db, demo, settings, demo.start, demo.stop)
    # Enough is shown for the comparison to mean something.
    shown = whole["computed"]
    assert all(shown["split"][part] for part in ("readers", "occasional", "regular"))
    assert sum(n is not None and n > 0 for n in shown["personas"].values()) >= 2
    assert shown["dau_mau"] is not None
    last_week = demo.stop - timedelta(days=3)  # within at most two ISO weeks
    await _compare_adoption(db, demo, settings, last_week, demo.stop)
    middle = demo.start + timedelta(days=40)
    await _compare_adoption(db, demo, settings, middle, middle + timedelta(days=2))


# --- questions (as before) ---------------------------------------------------------------------


async def test_the_questions_asked_and_answered_equal_the_truth(
    db: AsyncSession, settings: Settings
) -> None:
    result = await do_create_demo(
        db, hashing=HASHING, people=120, months=4, seed=13, end=date(2026, 4, 30)
    )
    await db.commit()
    truth = result.ground_truth
    months = truth["months"]
    bounds = [m["start"] for m in months] + [truth["stop"]]
    ranges = [(m["period"], bounds[i], bounds[i + 1], m["questions"]) for i, m in enumerate(months)]
    ranges.append(("whole", truth["start"], truth["stop"], truth["whole"]["questions"]))
    shown = answered = 0
    for label, start, stop, questions in ranges:
        figures = await adoption(db, start=_when(start), end=_when(stop), settings=settings)
        for key, kind in (("questions", "members"), ("questions_by_externals", "externals")):
            computed, wanted = figures[key], questions[f"by_{kind}"]
            if computed["suppressed"]:
                assert wanted["askers"] < MIN_GROUP, (label, kind)
                continue
            assert computed["asked"] == wanted["asked"], (label, kind)
            shown += 1
            # The answered count is withheld when it would tell about 1 to 4 people (those
            # answered, answering, or still waiting): when shown, it is the truth's.
            if computed["answered"] is not None:
                assert computed["answered"] == wanted["answered"], (label, kind)
                answered += 1
    assert answered >= 3
    assert shown >= 5


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the truth is independent --------------------------------------------------------------------


def test_the_truth_shares_nothing_with_the_analytics_domain() -> None:
    """The truth and the plan import nothing from ``atoll.analytics`` (nor anything that
    imports it): the rules are implemented twice, and the two are compared."""
    demo = Path(__file__).resolve().parents[2] / "src" / "atoll" / "demo"
    files = [demo / "plan.py", *sorted((demo / "truth").glob("*.py"))]
    assert len(files) > 3
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert not name.startswith("atoll.") or name.startswith(
                    ("atoll.demo.plan", "atoll.demo.truth")
                ), (path.name, name)


# --- ready to go outward -------------------------------------------------------------------------


async def _compare_readiness(
    db: AsyncSession, demo: Demo, settings: Settings, as_of: date
) -> dict[int, dict[str, Any]]:
    """The product's readiness on ``as_of`` equals the truth's, unit by unit: a unit of 1 to 4
    members withheld, its answer figures withheld when 1 to 4 people asked."""
    planted = demo.truth.readiness(as_of)
    computed = await readiness(db, settings=settings, as_of=as_of)
    assert {int(u["unit_id"]) for u in computed["units"]} == set(planted), as_of
    for unit in computed["units"]:
        wanted = planted[int(unit["unit_id"])]
        label = (as_of, unit["unit_name"])
        if _hidden(wanted["members"]):
            assert unit["suppressed"] and unit["ready"] is None, label
            continue
        same = ("members", "active_share", "across_share", "has_hybrid_space", "organizations")
        assert {k: unit[k] for k in same} == {k: wanted[k] for k in same}, label
        assert unit["ready"] == wanted["ready"], label
        answers = ("answer_rate", "time_to_first_answer_hours", "questions")
        if _hidden(wanted["askers"]):
            assert all(unit[k] is None for k in answers), label
        else:
            assert {k: unit[k] for k in answers} == {k: wanted[k] for k in answers}, label
    return planted


@pytest.mark.parametrize(("seed", "end"), CASES)
async def test_readiness_follows_the_planted_history_as_the_truth_has_it(
    db: AsyncSession, settings: Settings, seed: int, end: date
) -> None:
    """Early on no unit is ready to go outward; by the end of the history the unit that has
    worked with customers from the start (its hybrid spaces, Acme Corp and Beta Ltd) is, and
    more units are ready than a month in. On every date the product equals the truth."""
    demo = await _demo(db, settings, seed, end)
    last = (demo.stop - timedelta(microseconds=1)).date()
    dates = [demo.start.date() + timedelta(days=n) for n in (27, 55, 83)] + [last]
    ready = []
    for as_of in dates:
        planted = await _compare_readiness(db, demo, settings, as_of)
        ready.append({u for u, row in planted.items() if row["ready"]})
    assert not ready[0], "a month in, no unit is ready yet"
    final = demo.truth.readiness(last)
    with_hybrid = {u for u, row in final.items() if row["has_hybrid_space"]}
    assert with_hybrid & ready[-1], "a unit with a hybrid space is ready by the end"
    assert len(ready[-1]) > len(ready[0])
    # A hybrid space opened during the history was opened by a unit ready that day (when one
    # was), and the product says so too.
    for opening in demo.ground["hybrid_openings"]:
        opened = date.fromisoformat(opening["opened"])
        planted = await _compare_readiness(db, demo, settings, opened)
        ready_then = {u for u, row in planted.items() if row["ready"]}
        assert set(opening["ready_units"]) == ready_then, opening
        assert not ready_then or opening["unit"] in ready_then, opening
    named = {o for row in final.values() for o in row["organizations"]}
    assert {"Acme Corp", "Beta Ltd"} & named  # the customers the teams talk about


async def test_the_ground_truth_holds_readiness_month_by_month(
    db: AsyncSession, settings: Settings
) -> None:
    demo = await _demo(db, settings, 11, date(2026, 4, 30))
    months = demo.ground["readiness"]
    assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert not any(row["ready"] for row in months["2026-01"].values())
    assert any(row["ready"] for row in months["2026-04"].values())
