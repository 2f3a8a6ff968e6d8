"""The roll-up helpers (cell_prev_at, actor_prev_at, target_prev_at) make the whole-organisation
matrix a pass of sums; these tests check it always equals the plain distinct counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import matrix, months
from atoll.analytics.models import Interaction, InteractionMonth
from atoll.analytics.ties import rebuild_ties
from atoll.people.models import Person
from tests.analytics.helpers import act, day, org
from tests.factories import make_person


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


def _ranges() -> list[tuple[datetime, datetime]]:
    rng = random.Random(5)
    out = [(datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))]
    # From the first of a month: closed months come from interaction_month (months.py).
    out += [
        (datetime(2026, m, 1, tzinfo=UTC), datetime(2026, m + 5, 1, 12, tzinfo=UTC)) for m in (3, 5)
    ]
    for _ in range(6):
        start = day(rng.uniform(-10, 400))
        out.append((start, start + timedelta(days=rng.uniform(1, 300))))
    return out


async def _agree(db: AsyncSession) -> None:
    for start, end in _ranges():
        for period in ("month", "week"):
            fast = await matrix._summed(db, start, end, period)
            slow = await matrix._counted(db, start, end, None, period)
            assert fast[0] == slow[0] and fast[1] == slow[1], (start, end, period)
            assert {k: v for k, v in fast[2].items() if v} == dict(slow[2]), (start, end)
            assert {k: v for k, v in fast[3].items() if v} == dict(slow[3]), (start, end)


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


async def _stored_months(db: AsyncSession) -> set[str]:
    return set((await db.execute(select(InteractionMonth.month).distinct())).scalars())


async def test_closed_months_are_counted_once_and_again_when_a_row_is_written_into_one(
    db: AsyncSession,
) -> None:
    await _random_log(db, rows=120)
    # Before housekeeping has counted them, the sums read the closed months from the log.
    await _agree(db)
    assert await _stored_months(db) == set(), "a read writes nothing"
    counted = await months.do_fill_closed_months(db)
    await db.commit()
    stored = await db.scalar(select(func.count()).select_from(InteractionMonth))
    assert counted and stored, "housekeeping counted the closed months into interaction_month"
    assert await months.do_fill_closed_months(db) == 0, "each closed month is counted once"
    await _agree(db)
    # A row recorded now into a closed month (by two people new to the log, so that no later
    # row's helpers change) drops that month's counts: the figures stay exact.
    months_before = await _stored_months(db)
    assert "2026-04-01" in months_before
    late = [await make_person(db, name=f"late{n}") for n in range(2)]
    await act(db, late[0], late[1], datetime(2026, 4, 20, tzinfo=UTC))
    assert "2026-04-01" not in await _stored_months(db)
    await _agree(db)
    assert await months.do_fill_closed_months(db) == 1
    assert await _stored_months(db) == months_before
    await _agree(db)
