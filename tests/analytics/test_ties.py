"""New ties: decided when a row is written, and recomputed for the whole log by rebuild_ties
with the same rule — new when no earlier row on the tie lies within the look-back window."""

from __future__ import annotations

import random

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.ties import rebuild_ties
from tests.analytics.helpers import act, day, org, people


async def _flags(db: AsyncSession) -> list[bool]:
    await db.commit()
    rows = await db.scalars(select(Interaction.new_tie).order_by(Interaction.at, Interaction.id))
    return list(rows)


async def test_first_repeated_and_lapsed_interactions(db: AsyncSession) -> None:
    p = await people(db, await org(db))
    await act(db, p["ana"], p["bea"], day(0))  # first: new
    await act(db, p["bea"], p["ana"], day(10))  # the same tie, the other way: existing
    await act(db, p["ana"], p["bea"], day(99.9))  # 89.9 days after the last: existing
    await act(db, p["ana"], p["bea"], day(189.9))  # exactly 90 days after: new again
    await act(db, p["ana"], p["bea"], day(400))  # long after: new
    await act(db, p["ana"], p["cid"], day(11))  # another tie: new
    expected = [True, False, True, False, True, True]  # ordered by time
    assert await _flags(db) == expected

    assert await rebuild_ties(db, lookback_days=90) == 0  # the log was already right

    await db.execute(update(Interaction).values(new_tie=~Interaction.new_tie))
    assert await rebuild_ties(db, lookback_days=90) == 6
    assert await _flags(db) == expected

    # A shorter window makes the repeat after 10 days new as well.
    assert await rebuild_ties(db, lookback_days=5) == 2
    assert await _flags(db) == [True, True, True, True, True, True]


async def test_rows_at_the_same_moment_are_ordered_by_id(db: AsyncSession) -> None:
    p = await people(db, await org(db))
    first = await act(db, p["ana"], p["xan"], day(1), kind="reaction")
    second = await act(db, p["xan"], p["ana"], day(1), kind="comment")
    await db.execute(update(Interaction).values(new_tie=False))
    assert await rebuild_ties(db, lookback_days=90) == 1
    await db.commit()
    await db.refresh(first)
    await db.refresh(second)
    assert (first.new_tie, second.new_tie) == (True, False)


async def test_rebuild_agrees_with_record_interaction_on_a_random_log(db: AsyncSession) -> None:
    p = list((await people(db, await org(db))).values())
    rng = random.Random(7)
    at = day(0)
    for _ in range(120):
        # Gaps of whole days (some exactly the window) and odd fractions of a day.
        at = at + rng.choice([day(0) - day(0), day(1) - day(0), day(45) - day(0)]) * rng.choice(
            [0, 1, 2]
        )
        at = at + (day(rng.random()) - day(0)) * rng.choice([0, 0, 1])
        actor, target = rng.sample(p, 2)
        await act(db, actor, target, at)
    recorded = await _flags(db)
    assert recorded.count(True) not in (0, len(recorded))  # both kinds occur
    await db.execute(update(Interaction).values(new_tie=True))
    changed = await rebuild_ties(db, lookback_days=90)
    assert changed == recorded.count(False)
    assert await _flags(db) == recorded
