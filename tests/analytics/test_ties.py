"""New ties: decided when a row is written, and recomputed for the whole log by rebuild_ties
with the same rule — new when no earlier row on the tie lies within the look-back window; and
rebuild_log, which recomputes silos and scopes too, at the current silo level."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.network import network
from atoll.analytics.network_store import NetworkSnapshot
from atoll.analytics.service import record_interaction, tie_key_of
from atoll.analytics.ties import rebuild_log, rebuild_ties
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.analytics.helpers import act, day, org, people
from tests.factories import LOOKBACK_DAYS, SILO_LEVEL, make_person


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


# --- rebuild_log: silos, scopes, new ties and helpers, as record_interaction writes them ----

Act = tuple[Person, Person | None, datetime, str]
COLUMNS = (
    "at",
    "kind",
    "actor_id",
    "target_id",
    "actor_unit_id",
    "target_unit_id",
    "actor_silo_id",
    "target_silo_id",
    "scope",
    "tie_key",
    "new_tie",
    "cell_prev_at",
    "actor_prev_at",
    "target_prev_at",
)


async def _everyone(db: AsyncSession) -> tuple[dict[str, Unit], dict[str, Person]]:
    """The helpers' people, and three more: fay in Sales (above the silo level: no silo), gus,
    a member in no unit, and yul, an external of another organisation."""
    units = await org(db)
    p = await people(db, units)
    p["fay"] = await make_person(db, name="fay", unit_id=units["sales"].id)
    p["gus"] = await make_person(db, name="gus")
    p["yul"] = await make_person(db, name="yul", kind="external", organization="Zeta")
    return units, p


def _random_acts(p: dict[str, Person], count: int, seed: int) -> list[Act]:
    """Acts in time order: gaps of none (rows at one moment), hours, the window and more;
    posts (no target) and person-to-person acts of every scope."""
    rng = random.Random(seed)
    everyone = list(p.values())
    at, acts = day(0), []
    for _ in range(count):
        at += timedelta(hours=rng.choice([0, 0, 3, 24, 24 * 45, 24 * 90]))
        actor = rng.choice(everyone)
        if rng.random() < 0.2:
            acts.append((actor, None, at, "post"))
        else:
            target = rng.choice([q for q in everyone if q.id != actor.id])
            acts.append((actor, target, at, rng.choice(["comment", "reaction", "mention"])))
    return acts


async def _record(db: AsyncSession, acts: list[Act], *, level: int) -> None:
    for actor, target, at, kind in acts:
        row = await record_interaction(
            db,
            kind=kind,
            actor=actor,
            target=target,
            space=None,
            at=at,
            silo_level=level,
            lookback_days=LOOKBACK_DAYS,
        )
        assert row is not None
        await db.commit()


async def _log(db: AsyncSession) -> list[tuple[object, ...]]:
    await db.commit()
    i = Interaction
    columns = [getattr(i, name) for name in COLUMNS]
    return [tuple(r) for r in await db.execute(select(*columns).order_by(i.at, i.id))]


async def _scramble(db: AsyncSession) -> None:
    """Every derived column wrong or missing, as a bulk load or an old version might leave
    them."""
    await db.execute(
        update(Interaction).values(
            actor_silo_id=None,
            target_silo_id=Interaction.target_unit_id,
            scope="within",
            new_tie=True,
            cell_prev_at=None,
            actor_prev_at=day(-1),
            target_prev_at=None,
        )
    )
    await db.commit()


async def test_rebuild_log_agrees_with_record_interaction_on_every_column(
    db: AsyncSession,
) -> None:
    _, p = await _everyone(db)
    await _record(db, _random_acts(p, 150, seed=3), level=SILO_LEVEL)
    recorded = await _log(db)
    scopes = {row[COLUMNS.index("scope")] for row in recorded}
    assert scopes == {"within", "across", "external", "externals", "no_silo", "activity"}

    rebuilt = await rebuild_log(db, silo_level=SILO_LEVEL, lookback_days=LOOKBACK_DAYS)
    assert (rebuilt.rows, rebuilt.scopes, rebuilt.new_ties) == (150, 0, 0)
    assert await _log(db) == recorded

    await _scramble(db)
    steps: list[tuple[int, int]] = []
    rebuilt = await rebuild_log(
        db,
        silo_level=SILO_LEVEL,
        lookback_days=LOOKBACK_DAYS,
        progress=lambda done, total: steps.append((done, total)),
        batch=7,  # many batches, the last one short
    )
    assert rebuilt.rows == 150 and rebuilt.scopes > 0 and rebuilt.new_ties > 0
    assert await _log(db) == recorded
    # Three steps a row, reported batch by batch, never going back.
    assert steps[0] == (0, 450) and steps[-1] == (450, 450)
    assert (7, 450) in steps and (150, 450) in steps and len(steps) > 40
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)


async def test_after_a_change_of_silo_level_the_rebuild_equals_a_log_recorded_at_the_new_one(
    db: AsyncSession,
) -> None:
    """Recorded at level 2 (departments), rebuilt at level 1 (divisions): every row equals
    the row record_interaction writes at level 1 — silos, scope, new tie and helpers."""
    _, p = await _everyone(db)
    acts = _random_acts(p, 120, seed=4)
    await _record(db, acts, level=1)
    at_level_1 = await _log(db)
    await db.execute(delete(Interaction))
    await _record(db, acts, level=2)
    at_level_2 = await _log(db)
    assert at_level_2 != at_level_1  # the level makes a difference on this log

    rebuilt = await rebuild_log(db, silo_level=1, lookback_days=LOOKBACK_DAYS)
    assert rebuilt.scopes > 0
    assert await _log(db) == at_level_1


async def test_a_pair_is_classified_alike_on_old_and_new_rows_after_the_rebuild(
    db: AsyncSession,
) -> None:
    """Rows recorded at level 2, then the setting changes to 1 and more rows are recorded:
    the same pair is across silos on the old rows and within one on the new, until the
    rebuild classifies every row at level 1."""
    units, p = await _everyone(db)
    acts = _random_acts(p, 160, seed=5)
    await _record(db, acts[:80], level=2)
    await _record(db, acts[80:], level=1)

    async def scopes_by_pair() -> dict[str, set[str]]:
        rows = await db.execute(select(Interaction.tie_key, Interaction.scope))
        out: dict[str, set[str]] = {}
        for key, scope in rows:
            out.setdefault(key, set()).add(scope)
        return out

    assert any(len(s) > 1 for s in (await scopes_by_pair()).values())
    await rebuild_log(db, silo_level=1, lookback_days=LOOKBACK_DAYS)
    await db.commit()
    assert all(len(s) == 1 for s in (await scopes_by_pair()).values())
    # ana (EMEA Team) and cid (APAC) are both in Sales at level 1: within one silo.
    i = Interaction
    pair = tie_key_of(p["ana"].id, p["cid"].id, None)
    rows = await db.execute(
        select(i.scope, i.actor_silo_id, i.target_silo_id).where(i.tie_key == pair)
    )
    sales = units["sales"].id
    assert set(rows.tuples()) <= {("within", sales, sales)}


async def test_a_unit_deleted_since_is_placed_by_the_silo_it_was_recorded_with(
    db: AsyncSession,
) -> None:
    """A row whose unit is gone from the tree: its silo comes from the silo it was recorded
    with, at the current level (or stays as recorded when that one is gone too)."""
    units, p = await _everyone(db)
    await act(db, p["ana"], p["cid"], day(0))  # EMEA Team → APAC: across
    gone = 999_999  # a unit id no longer in the tree, its silo EMEA still there
    await db.execute(update(Interaction).values(actor_unit_id=gone))
    await db.commit()
    await rebuild_log(db, silo_level=1, lookback_days=LOOKBACK_DAYS)
    await db.commit()
    row = (await db.execute(select(Interaction.scope, Interaction.actor_silo_id))).one()
    assert tuple(row) == ("within", units["sales"].id)  # EMEA's division is Sales

    await db.execute(update(Interaction).values(actor_silo_id=gone))
    await rebuild_log(db, silo_level=2, lookback_days=LOOKBACK_DAYS)
    await db.commit()
    row = (await db.execute(select(Interaction.scope, Interaction.actor_silo_id))).one()
    assert tuple(row) == ("across", gone)


async def test_rebuild_log_refuses_a_bad_window_or_level(db: AsyncSession) -> None:
    with pytest.raises(ValueError, match="lookback_days"):
        await rebuild_log(db, silo_level=2, lookback_days=0)
    with pytest.raises(ValueError, match="silo_level"):
        await rebuild_log(db, silo_level=-1, lookback_days=90)
    with pytest.raises(ValueError, match="batch"):
        await rebuild_log(db, silo_level=2, lookback_days=90, batch=0)


async def test_rebuild_log_forgets_the_kept_networks(db: AsyncSession, settings: Settings) -> None:
    """A kept network placed people by the silos the rows had: the rebuild drops it."""
    _, p = await _everyone(db)
    await _record(db, _random_acts(p, 40, seed=6), level=SILO_LEVEL)
    span = {"start": day(-1), "end": day(400), "now": day(500)}
    await network(db, level=2, settings=settings, show_names=False, **span)
    await db.commit()
    kept = select(func.count()).select_from(NetworkSnapshot)
    assert await db.scalar(kept) == 1
    await rebuild_log(db, silo_level=1, lookback_days=LOOKBACK_DAYS)
    await db.commit()
    assert await db.scalar(kept) == 0
