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
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.analytics.helpers import act, cells, day, org, people
from tests.factories import make_person

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 1, tzinfo=UTC)  # "now" for these tests: every period above is over
ZERO = {"interactions": 0, "people": 0}


async def _log(db: AsyncSession) -> tuple[dict[str, Unit], dict[str, Person]]:
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


async def _matrix(
    db: AsyncSession,
    settings: Settings,
    start: datetime = MARCH,
    end: datetime = MAY,
    *,
    unit: Unit | None = None,
    period: str = "month",
) -> dict[str, Any]:
    return await value_matrix(
        db,
        start=start,
        end=end,
        unit_id=unit.id if unit else None,
        period=period,
        settings=settings,
        now=LATER,
    )


async def test_cells_ties_shares_and_stage(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    data = await _matrix(db, settings)
    assert data["from"] == "2026-03-01T00:00:00Z" and data["to"] == "2026-05-01T00:00:00Z"
    assert (data["unit_id"], data["period"], data["timezone"]) == (None, "month", "UTC")
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
    assert data["apart"] == {"externals": ZERO, "no_silo": ZERO}
    assert data["stage"] == "transformation"  # 3/7 across ≥ 15 % and 1/7 external ≥ 5 %


async def test_the_stage_is_cumulative(db: AsyncSession, settings: Settings) -> None:
    await _log(db)

    async def stage(across: float, external: float) -> str:
        limits = {"stage_across_threshold": across, "stage_external_threshold": external}
        data = await _matrix(db, settings.model_copy(update=limits))
        return str(data["stage"])

    assert await stage(0.15, 0.2) == "cultural"  # 3/7 across; 1/7 external is short of 20 %
    # 1/7 external passes its 5 %, but transformation needs the across threshold too.
    assert await stage(0.5, 0.05) == "operational"
    assert await stage(3 / 7, 1 / 7) == "transformation"  # both reached (≥, not >)


async def test_small_periods_are_withheld_with_what_subtraction_would_give_back(
    db: AsyncSession, settings: Settings
) -> None:
    _, p = await _log(db)
    data = await _matrix(db, settings)
    march, april = data["journey"]
    # April: eli, ana and cid, three people. Withheld alone, the range's total minus March's
    # would give it back: March (the smallest shown) is withheld with it.
    assert (march["period"], march["start"], march["end"]) == (
        "2026-03",
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    )
    for month in (march, april):
        assert (month["people"], month["total"], month["suppressed"]) == (None, None, True)
        assert month["stage"] is None and len(month["cells"]) == 6
        assert all(c["interactions"] is None and c["share"] is None for c in month["cells"])
    assert data["total"] == 7

    # With a busy May, March still goes with April (it is the smaller), May is shown.
    for actor, target in ("ana", "bea"), ("bea", "cid"), ("cid", "dan"), ("dan", "eli"):
        for hour in range(2):
            await act(db, p[actor], p[target], datetime(2026, 5, 4, 9 + hour, tzinfo=UTC))
    data = await _matrix(db, settings, end=JUNE)
    march, april, may = data["journey"]
    assert march["suppressed"] and april["suppressed"] and not may["suppressed"]
    assert (may["people"], may["total"], data["total"]) == (5, 8, 15)
    assert data["total"] - may["total"] == 7  # all subtraction gives: two months, six people


async def test_a_range_of_fewer_than_five_people_is_withheld(
    db: AsyncSession, settings: Settings
) -> None:
    await _log(db)
    data = await _matrix(db, settings, day(0), day(3), period="week")  # ana, bea, cid
    assert (data["people"], data["suppressed"], data["total"], data["stage"]) == (
        None,
        True,
        None,
        None,
    )
    assert all(c["ties"] is None for c in data["cells"])
    assert all(w["suppressed"] and w["people"] is None for w in data["journey"])


async def test_journey_by_iso_week(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    data = await _matrix(
        db,
        settings,
        datetime(2026, 3, 4, 12, tzinfo=UTC),  # Wednesday noon: rows until 4 March 10:00 out
        datetime(2026, 3, 16, tzinfo=UTC),
        period="week",
    )
    assert [(w["period"], w["start"], w["partial"]) for w in data["journey"]] == [
        ("2026-W10", "2026-03-02T00:00:00Z", True),  # the range cuts it
        ("2026-W11", "2026-03-09T00:00:00Z", False),
    ]
    # xan → ana on 5 March, cid → dan on 10 March: two people a week, withheld.
    assert [(w["people"], w["suppressed"]) for w in data["journey"]] == [(None, True)] * 2


async def _crowd(db: AsyncSession, unit: Unit, *names: str) -> dict[str, Person]:
    return {name: await make_person(db, name=name, unit_id=unit.id) for name in names}


async def test_the_unit_filter_counts_the_people_of_the_unit_as_they_were(
    db: AsyncSession, settings: Settings
) -> None:
    units, p = await _log(db)
    e = await _crowd(db, units["emea"], "e1", "e2", "e3")
    # (Written after later rows, which the sums of the whole organisation would not allow:
    # a unit's figures are plain distinct counts.)
    await act(db, e["e1"], e["e2"], day(4))  # within EMEA
    await act(db, e["e2"], e["e3"], day(5))  # within EMEA
    await act(db, e["e3"], p["eli"], day(6))  # EMEA → Platform
    # dan moves from APAC to EMEA on 15 April and then talks to cid: a tie they already had
    # (within APAC in March), now across silos.
    dan = await db.get(Person, p["dan"].id)
    assert dan is not None
    dan.unit_id = units["emea"].id
    await db.commit()
    await act(db, dan, p["cid"], day(45))

    emea = await _matrix(db, settings, unit=units["emea"])
    # The rows touching ana, bea, e1-e3 or (after the move) dan; not cid → dan of March. The
    # people are EMEA's: ana, bea, e1, e2, e3 and dan — never cid, eli or xan.
    assert emea["unit_id"] == str(units["emea"].id)
    assert (emea["people"], emea["total"]) == (6, 10)
    assert cells(emea) == {
        "within/existing": (1, 1),
        "within/new": (3, 3),
        "across/existing": (2, 2),  # ana–cid again; dan–cid, known from March
        "across/new": (3, 3),  # ana–cid, eli–ana, e3–eli
        "external/existing": (0, 0),
        "external/new": (1, 1),
    }
    apac = await _matrix(db, settings, unit=units["apac"])
    # Rows touching cid or dan while in APAC: people cid and dan only.
    assert (apac["people"], apac["total"], apac["suppressed"]) == (None, None, True)


async def test_a_one_person_unit_is_withheld_however_many_it_worked_with(
    db: AsyncSession, settings: Settings
) -> None:
    units, p = await _log(db)
    for n, name in enumerate(("ana", "bea", "cid", "dan", "xan")):
        await act(db, p["eli"], p[name], day(32 + n))  # April, after the rest
    whole = await _matrix(db, settings)
    assert not whole["suppressed"] and whole["people"] == 6
    platform = await _matrix(db, settings, unit=units["platform"])  # eli alone
    assert (platform["people"], platform["total"], platform["suppressed"]) == (None, None, True)
    assert all(c["interactions"] is None for c in platform["cells"])
    march, april = platform["journey"]
    assert (march["people"], march["total"], march["suppressed"]) == (0, 0, False)  # no one
    assert (april["people"], april["total"], april["suppressed"]) == (None, None, True)


async def test_bad_arguments_are_invalid(db: AsyncSession, settings: Settings) -> None:
    with pytest.raises(Invalid, match="before"):
        await _matrix(db, settings, MAY, MARCH)
    with pytest.raises(Invalid, match="period"):
        await _matrix(db, settings, period="day")
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
