"""The roll-up helpers (cell_prev_at, actor_prev_at, target_prev_at) and the stored counts of
closed months and weeks make the whole-organisation matrix a pass of sums; these tests check
it always equals the plain distinct counts, in UTC and in another time zone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import matrix_counts, matrix_sums, months
from atoll.analytics.models import Interaction, InteractionMonth
from atoll.analytics.periods import spans
from atoll.analytics.ties import rebuild_ties
from atoll.people.models import Person
from tests.analytics.helpers import act, day, org
from tests.factories import make_person

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


async def _random_log(db: AsyncSession, rows: int = 300) -> None:
    """A dozen members in four silos and two externals; people move between departments;
    posts and person-to-person acts, with repeats, lapses and several rows at one moment."""
    units = await org(db)
    homes = ["team", "emea", "apac", "platform", "sales"]
    people = [
        await make_person(db, name=f"m{n}", unit_id=units[homes[n % len(homes)]].id)
        for n in range(12)
    ]
    people += [await make_person(db, name=f"x{n}", kind="external") for n in range(2)]
    rng = random.Random(11)
    at = day(0)
    for n in range(rows):
        at += timedelta(hours=rng.choice([0, 0, 1, 20, 24 * 9, 24 * 40]))
        actor = rng.choice(people)
        if n % 50 == 49:  # a member moves
            mover = await db.get(Person, rng.choice(people[:12]).id)
            assert mover is not None
            mover.unit_id = units[rng.choice(homes)].id
            await db.commit()
        target = None if rng.random() < 0.15 else rng.choice([p for p in people if p != actor])
        await act(db, actor, target, at, kind="post" if target is None else "comment")


def _ranges(zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    rng = random.Random(5)

    def local(*args: int) -> datetime:
        return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]

    out = [(local(2026, 1, 1), local(2028, 1, 1))]
    # From the first of a month (closed months from interaction_month), from a Monday (closed
    # weeks), from any moment.
    out += [(local(2026, m, 1), local(2026, m + 5, 1, 12)) for m in (3, 5)]
    out += [(local(2026, 3, 9), local(2026, 9, 14)), (local(2026, 4, 6), local(2026, 4, 27))]
    for _ in range(4):
        start = day(rng.uniform(-10, 400))
        out.append((start, start + timedelta(days=rng.uniform(1, 300))))
    return out


async def _agree(db: AsyncSession, zone: ZoneInfo = UTC_ZONE) -> None:
    for start, end in _ranges(zone):
        for period in ("month", "week"):
            where = {"start": start, "end": end, "period": period, "zone": zone}
            periods = spans(start, end, period, zone)
            fast = await matrix_sums.org_tally(db, spans=periods, **where)  # type: ignore[arg-type]
            slow = await matrix_counts.unit_tally(db, spans=periods, units=None, **where)  # type: ignore[arg-type]
            assert fast.whole == slow.whole, (start, end, period)
            assert fast.periods == slow.periods, (start, end, period)
            assert fast.apart == slow.apart, (start, end, period)
            assert fast.windows == slow.windows, (start, end, period)
            assert period == "month" or fast.windows, "by week, every week has its window"


async def _helpers(db: AsyncSession) -> list[tuple[object, ...]]:
    await db.commit()
    i = Interaction
    rows = await db.execute(
        select(i.id, i.new_tie, i.cell_prev_at, i.actor_prev_at, i.target_prev_at).order_by(i.id)
    )
    return [tuple(r) for r in rows]


async def test_sums_equal_distinct_counts_as_recorded_and_after_a_rebuild(
    db: AsyncSession,
) -> None:
    await _random_log(db)
    recorded = await _helpers(db)
    assert any(r[2] is None for r in recorded) and any(r[2] is not None for r in recorded)
    await _agree(db)

    # The rebuild finds what record_interaction wrote.
    assert await rebuild_ties(db, lookback_days=90) == 0
    assert await _helpers(db) == recorded

    # As after a bulk insert: nothing set; the rebuild restores every helper.
    i = Interaction
    await db.execute(
        update(i).values(new_tie=True, cell_prev_at=None, actor_prev_at=None, target_prev_at=None)
    )
    assert await rebuild_ties(db, lookback_days=90) > 0
    assert await _helpers(db) == recorded
    await _agree(db)

    # Another look-back window changes the cells; sums and counts still agree.
    assert await rebuild_ties(db, lookback_days=7) > 0
    await _agree(db)


async def _stored(db: AsyncSession, zone: ZoneInfo) -> set[tuple[str, str]]:
    m = InteractionMonth
    rows = await db.execute(select(m.period, m.month).where(m.zone == zone.key).distinct())
    return {(period, month) for period, month in rows}


async def test_closed_periods_are_counted_once_per_zone_and_again_when_a_row_comes_late(
    db: AsyncSession,
) -> None:
    await _random_log(db, rows=120)
    # Before housekeeping has counted them, the sums read the closed periods from the log.
    await _agree(db)
    await _agree(db, BERLIN)
    assert await _stored(db, UTC_ZONE) == set(), "a read writes nothing"
    counted = await months.do_fill_closed_months(db)
    await db.commit()
    stored = await db.scalar(select(func.count()).select_from(InteractionMonth))
    assert counted and stored, "housekeeping counted the closed periods into interaction_month"
    assert {p for p, _ in await _stored(db, UTC_ZONE)} == {"month", "week"}
    assert await months.do_fill_closed_months(db) == 0, "each closed period is counted once"
    # Counts of UTC's periods are never read for Berlin's, and Berlin gets its own.
    await _agree(db)
    await _agree(db, BERLIN)
    assert await months.do_fill_closed_months(db, zone=BERLIN) == counted
    await db.commit()
    await _agree(db, BERLIN)
    # A row recorded now into a closed period (by two people new to the log, so that no
    # later row's helpers change) drops that period's counts in every zone: still exact.
    before = await _stored(db, BERLIN)
    assert ("month", "2026-04-01") in before and ("week", "2026-04-13") in before
    late = [await make_person(db, name=f"late{n}") for n in range(2)]
    await act(db, late[0], late[1], datetime(2026, 4, 16, tzinfo=UTC))
    for zone in (UTC_ZONE, BERLIN):
        left = await _stored(db, zone)
        assert ("month", "2026-04-01") not in left and ("week", "2026-04-13") not in left
    await _agree(db)
    await _agree(db, BERLIN)
    assert await months.do_fill_closed_months(db, zone=BERLIN) == 2
    assert await _stored(db, BERLIN) == before
    await _agree(db, BERLIN)


def test_a_late_row_is_caught_in_every_zone() -> None:
    """``month_end`` is never after the end of the month or week holding a moment in any
    zone, so a row written into a period some zone has closed drops its counts."""
    zones = [ZoneInfo(z) for z in ("Pacific/Kiritimati", "Europe/Berlin", "UTC", "Pacific/Niue")]
    moment = datetime(2026, 1, 25, 6, tzinfo=UTC)
    for hours in range(0, 24 * 40, 5):
        at = moment + timedelta(hours=hours)
        for zone in zones:
            for period in ("month", "week"):
                (span,) = spans(at, at + timedelta(microseconds=1), period, zone)
                assert months.month_end(at) <= span.end, (at, zone, period)
    assert months.month_end(datetime(2026, 1, 14, 12, tzinfo=UTC)) == datetime(
        2026, 1, 18, 10, tzinfo=UTC
    ), "midweek, mid-month: the next Monday in UTC+14"
