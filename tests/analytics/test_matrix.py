"""The value matrix and its journey, on a hand-built log whose every figure is known."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.matrix import value_matrix
from atoll.analytics.periods import spans
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.people.models import Person
from tests.analytics.helpers import act, cells, day, org, people

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)


async def _log(db: AsyncSession) -> tuple[dict[str, Any], dict[str, Person]]:
    """Seven interactions in March and April 2026 (see each line)."""
    units = await org(db)
    p = await people(db, units)
    await act(db, p["ana"], p["bea"], day(0))  # within EMEA, new
    await act(db, p["bea"], p["ana"], day(1), kind="reply")  # within, existing
    await act(db, p["ana"], p["cid"], day(2))  # EMEA → APAC: across, new
    await act(db, p["xan"], p["ana"], day(3), kind="reaction")  # external on ana's post: new
    await act(db, p["cid"], p["dan"], day(8), kind="mention")  # within APAC, new
    await act(db, p["eli"], p["ana"], day(30))  # 1 April, Platform → EMEA: across, new
    await act(db, p["ana"], p["cid"], day(31))  # across, existing
    return units, p


async def test_cells_ties_shares_and_stage(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    data = await value_matrix(
        db, start=MARCH, end=MAY, unit_id=None, period="month", settings=settings
    )
    assert data["from"] == "2026-03-01T00:00:00Z" and data["to"] == "2026-05-01T00:00:00Z"
    assert (data["unit_id"], data["period"]) == (None, "month")
    assert (data["people"], data["total"], data["suppressed"]) == (6, 7, False)
    assert [(c["scope"], c["tie"]) for c in data["cells"]] == [
        ("within", "existing"),
        ("within", "new"),
        ("across", "existing"),
        ("across", "new"),
        ("external", "existing"),
        ("external", "new"),
    ]
    assert cells(data) == {
        "within/existing": (1, 1),
        "within/new": (2, 2),
        "across/existing": (1, 1),
        "across/new": (2, 2),
        "external/existing": (0, 0),
        "external/new": (1, 1),
    }
    assert [c["share"] for c in data["cells"]] == pytest.approx(
        [1 / 7, 2 / 7, 1 / 7, 2 / 7, 0, 1 / 7]
    )
    assert data["thresholds"] == {"across": 0.15, "external": 0.05}
    assert data["stage"] == "transformation"  # 1/7 external ≥ 5 %

    cultural = settings.model_copy(update={"stage_external_threshold": 0.2})
    assert (
        await value_matrix(
            db, start=MARCH, end=MAY, unit_id=None, period="month", settings=cultural
        )
    )["stage"] == "cultural"  # 3/7 across ≥ 15 %
    operational = cultural.model_copy(update={"stage_across_threshold": 0.5})
    assert (
        await value_matrix(
            db, start=MARCH, end=MAY, unit_id=None, period="month", settings=operational
        )
    )["stage"] == "operational"


async def test_journey_by_month_withholds_small_groups(
    db: AsyncSession, settings: Settings
) -> None:
    await _log(db)
    data = await value_matrix(
        db, start=MARCH, end=MAY, unit_id=None, period="month", settings=settings
    )
    march, april = data["journey"]
    assert (march["period"], march["start"]) == ("2026-03", "2026-03-01T00:00:00Z")
    assert (march["people"], march["total"], march["suppressed"]) == (5, 5, False)
    assert cells(march) == {
        "within/existing": (1, 1),
        "within/new": (2, 2),
        "across/existing": (0, 0),
        "across/new": (1, 1),
        "external/existing": (0, 0),
        "external/new": (1, 1),
    }
    assert march["stage"] == "transformation"
    # April: eli, ana and cid — three people, so nothing is shown.
    assert (april["period"], april["people"], april["suppressed"]) == ("2026-04", 3, True)
    assert april["total"] is None and april["stage"] is None
    assert len(april["cells"]) == 6
    assert all(c["interactions"] is None and c["share"] is None for c in april["cells"])


async def test_a_range_of_fewer_than_five_people_is_withheld(
    db: AsyncSession, settings: Settings
) -> None:
    await _log(db)
    data = await value_matrix(
        db, start=day(0), end=day(3), unit_id=None, period="week", settings=settings
    )  # ana, bea, cid
    assert (data["people"], data["suppressed"], data["total"], data["stage"]) == (
        3,
        True,
        None,
        None,
    )
    assert all(c["ties"] is None for c in data["cells"])


async def test_journey_by_iso_week(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    data = await value_matrix(
        db,
        start=datetime(2026, 3, 4, 12, tzinfo=UTC),  # Wednesday noon: rows until 4 March 10:00 out
        end=datetime(2026, 3, 16, tzinfo=UTC),
        unit_id=None,
        period="week",
        settings=settings,
    )
    assert [(w["period"], w["start"], w["people"]) for w in data["journey"]] == [
        ("2026-W10", "2026-03-02T00:00:00Z", 2),  # xan → ana on 5 March
        ("2026-W11", "2026-03-09T00:00:00Z", 2),  # cid → dan on 10 March
    ]


async def test_unit_filter_takes_units_as_they_were(db: AsyncSession, settings: Settings) -> None:
    units, p = await _log(db)
    # dan moves from APAC to EMEA on 15 April and then talks to cid: a tie they already had,
    # now across silos.
    dan = await db.get(Person, p["dan"].id)
    assert dan is not None
    dan.unit_id = units["emea"].id
    await db.commit()
    await act(db, dan, p["cid"], day(45))

    emea = await value_matrix(
        db, start=MARCH, end=MAY, unit_id=units["emea"].id, period="month", settings=settings
    )
    # Everything touching ana, bea or (after the move) dan; not cid → dan of March.
    assert emea["unit_id"] == str(units["emea"].id)
    assert (emea["people"], emea["total"]) == (6, 7)
    assert cells(emea) == {
        "within/existing": (1, 1),
        "within/new": (1, 1),
        "across/existing": (2, 2),  # ana–cid again; dan–cid, known from March
        "across/new": (2, 2),
        "external/existing": (0, 0),
        "external/new": (1, 1),
    }
    apac = await value_matrix(
        db, start=MARCH, end=MAY, unit_id=units["apac"].id, period="month", settings=settings
    )
    # ana → cid twice, cid → dan (March, both in APAC), dan → cid (dan in EMEA, cid in APAC).
    assert (apac["people"], apac["total"], apac["suppressed"]) == (3, None, True)
    sales = await value_matrix(
        db, start=MARCH, end=MAY, unit_id=units["sales"].id, period="month", settings=settings
    )
    assert sales["total"] == 8  # every row touches Sales (EMEA, EMEA Team or APAC)


async def test_bad_arguments_are_invalid(db: AsyncSession, settings: Settings) -> None:
    with pytest.raises(Invalid, match="before"):
        await value_matrix(
            db, start=MAY, end=MARCH, unit_id=None, period="month", settings=settings
        )
    with pytest.raises(Invalid, match="period"):
        await value_matrix(db, start=MARCH, end=MAY, unit_id=None, period="day", settings=settings)
    with pytest.raises(Invalid, match="unit"):
        await value_matrix(
            db, start=MARCH, end=MAY, unit_id=999999, period="week", settings=settings
        )


def test_iso_weeks_across_the_new_year() -> None:
    weeks = spans(datetime(2026, 12, 30, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC), "week")
    assert [(w.label, w.key) for w in weeks] == [
        ("2026-W53", "2026-12-28"),
        ("2027-W01", "2027-01-04"),
    ]
    months = spans(
        datetime(2026, 12, 15, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC), "month"
    )
    assert [m.label for m in months] == ["2026-12", "2027-01"]
