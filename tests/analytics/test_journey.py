"""The journey: periods of the organisation's time zone, partial periods, a future range, and
the rolling four-week stage with hysteresis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import months
from atoll.analytics.matrix import value_matrix
from atoll.analytics.periods import midnight
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.analytics.helpers import act, org
from tests.factories import make_person

BERLIN = ZoneInfo("Europe/Berlin")
LATER = datetime(2026, 12, 1, tzinfo=UTC)  # "now": every period of 2026 below is over
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # ISO week 2026-W10


async def _team(db: AsyncSession, unit: Unit, prefix: str, n: int) -> list[Person]:
    return [await make_person(db, name=f"{prefix}{k}", unit_id=unit.id) for k in range(n)]


async def _matrix(
    db: AsyncSession,
    settings: Settings,
    start: datetime,
    end: datetime,
    *,
    period: str = "month",
    unit: Unit | None = None,
    now: datetime = LATER,
) -> dict[str, Any]:
    return await value_matrix(
        db,
        start=start,
        end=end,
        unit_id=unit.id if unit else None,
        period=period,
        settings=settings,
        now=now,
    )


def _totals(data: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(p["period"], p["total"]) for p in data["journey"]]


async def test_periods_are_the_zones_months_and_weeks(db: AsyncSession, settings: Settings) -> None:
    """Rows at 23:30 UTC on Sunday 31 May are on Monday 1 June in Berlin: in June and in ISO
    week 23 there, in May and week 22 in UTC — read from the log, from the counts stored for
    Berlin, never from those stored for UTC, and with a unit filter alike."""
    units = await org(db)
    team = await _team(db, units["emea"], "e", 6)
    for k in range(6):
        await act(db, team[k], team[(k + 1) % 6], datetime(2026, 5, 4 + k, 12, tzinfo=UTC))
    for k in range(5):
        await act(db, team[k], team[(k + 3) % 6], datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    for k in range(6):
        await act(db, team[k], team[(k + 2) % 6], datetime(2026, 6, 8 + k, 12, tzinfo=UTC))
    berlin = settings.model_copy(update={"timezone": "Europe/Berlin"})
    start, end = midnight(date(2026, 5, 1), BERLIN), midnight(date(2026, 7, 1), BERLIN)
    utc_start, utc_end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)

    async def both(zone_settings: Settings, lo: datetime, hi: datetime) -> list[Any]:
        out = []
        for unit in (None, units["emea"]):
            by_month = await _matrix(db, zone_settings, lo, hi, unit=unit)
            by_week = await _matrix(db, zone_settings, lo, hi, unit=unit, period="week")
            weeks = dict(_totals(by_week))
            out.append((_totals(by_month), weeks["2026-W22"], weeks["2026-W23"]))
            assert by_month["timezone"] == zone_settings.timezone
        return out

    in_berlin = [([("2026-05", 6), ("2026-06", 11)], 0, 5)] * 2
    in_utc = [([("2026-05", 11), ("2026-06", 6)], 5, 0)] * 2
    assert await both(berlin, start, end) == in_berlin  # from the log
    assert await both(settings, utc_start, utc_end) == in_utc
    assert await months.do_fill_closed_months(db)  # UTC's counts: never read for Berlin
    await db.commit()
    assert await both(berlin, start, end) == in_berlin
    assert await both(settings, utc_start, utc_end) == in_utc
    assert await months.do_fill_closed_months(db, zone=BERLIN)  # Berlin's own
    await db.commit()
    assert await both(berlin, start, end) == in_berlin
    data = await _matrix(db, berlin, start, end)
    assert [(p["start"], p["end"]) for p in data["journey"]] == [
        ("2026-04-30T22:00:00Z", "2026-05-31T22:00:00Z"),
        ("2026-05-31T22:00:00Z", "2026-06-30T22:00:00Z"),
    ]


async def test_a_period_not_over_or_cut_by_the_range_is_partial(
    db: AsyncSession, settings: Settings
) -> None:
    start, end = datetime(2026, 5, 10, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    data = await _matrix(db, settings, start, end, now=datetime(2026, 6, 15, tzinfo=UTC))
    assert [(p["period"], p["partial"]) for p in data["journey"]] == [
        ("2026-05", True),  # the range starts on the 10th
        ("2026-06", True),  # not over on 15 June
    ]
    data = await _matrix(db, settings, datetime(2026, 5, 1, tzinfo=UTC), end)
    assert [p["partial"] for p in data["journey"]] == [False, False]


async def test_a_future_range_answers_empty_periods(db: AsyncSession, settings: Settings) -> None:
    units = await org(db)
    team = await _team(db, units["emea"], "e", 5)
    await act(db, team[0], team[1], datetime(2026, 11, 20, tzinfo=UTC))
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)
    data = await _matrix(db, settings, start, end)
    assert (data["total"], data["people"], data["suppressed"], data["stage"]) == (0, 0, False, None)
    assert [(p["period"], p["partial"], p["total"], p["stage"]) for p in data["journey"]] == [
        ("2027-01", True, 0, None),
        ("2027-02", True, 0, None),
    ]
    assert all(c["interactions"] == 0 and c["share"] == 0 for c in data["cells"])


async def test_by_week_a_rolling_stage_with_hysteresis(
    db: AsyncSession, settings: Settings
) -> None:
    """Twenty interactions a week among six people of EMEA, a few of them with APAC (across).
    The three weeks before the range count for its first windows."""
    units = await org(db)
    emea = await _team(db, units["emea"], "e", 6)
    apac = await _team(db, units["apac"], "a", 2)
    across = {-3: 5, -2: 5, -1: 5, 0: 0, 1: 0, 2: 0, 3: 2, 4: 8, 5: 4, 6: 0, 7: 0}
    for week, n in across.items():
        monday = MONDAY + timedelta(weeks=week)
        for k in range(20):
            target = apac[k % 2] if k < n else emea[(k + 1) % 6]
            await act(db, emea[k % 6], target, monday + timedelta(hours=6 * k))
    data = await _matrix(db, settings, MONDAY, MONDAY + timedelta(weeks=8), period="week")
    weeks = data["journey"]
    assert [w["period"] for w in weeks] == [f"2026-W{n}" for n in range(10, 18)]
    # Across in the four weeks ending with each: 15, 10, 5, 2, 10, 14, 14, 12 of 80.
    assert [w["rolling_stage"] for w in weeks] == [
        "cultural",  # 18.75 % ≥ 15 %: up
        "cultural",  # 12.5 %: still ≥ 12 % (80 % of the threshold), it holds
        "operational",  # 6.25 %: down
        "operational",
        "operational",  # 12.5 %: not enough to go up again
        "cultural",  # 17.5 %
        "cultural",
        "cultural",  # 15 %
    ]
    # Each week on its own flips: across 0, 0, 0, 10 %, 40 %, 20 %, 0, 0.
    assert [w["stage"] for w in weeks] == ["operational"] * 4 + ["cultural"] * 2 + [
        "operational"
    ] * 2
    by_month = await _matrix(db, settings, MONDAY, MONDAY + timedelta(weeks=8))
    assert all(m["rolling_stage"] is None for m in by_month["journey"])
    # With a unit filter, the same (every row touches EMEA, and its six people).
    unit = await _matrix(
        db, settings, MONDAY, MONDAY + timedelta(weeks=8), period="week", unit=units["emea"]
    )
    assert [w["rolling_stage"] for w in unit["journey"]] == [w["rolling_stage"] for w in weeks]
    # APAC's two people: no rolling stage (too few), and none carried over.
    apac_data = await _matrix(
        db, settings, MONDAY, MONDAY + timedelta(weeks=8), period="week", unit=units["apac"]
    )
    assert all(w["rolling_stage"] is None for w in apac_data["journey"])
