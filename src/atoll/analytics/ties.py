# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""Recomputing the interaction log from the log itself: each row's silos and scope, whether it
opened a new tie, and the roll-up helpers that depend on the order of the log.

``record_interaction`` decides all of it when a row is written, by the rules of service.py.
Rows inserted in bulk (the demo generator, an import of history), rows written out of time
order, a changed look-back window or a changed silo level need it decided again:

- ``rebuild_log`` (``atoll analytics rebuild``) does everything: each side's silo again from
  the unit the row carries (the unit at the time) at the *current* silo level and in the
  *current* tree, then the scope from both sides, then ``new_tie`` and the helpers, then the
  closed periods again (months.recount) and drops the kept networks (network_store: they
  placed people by the silos they had). So after the silo level changed, one pair of people
  is classified the same way on old rows and new ones. A unit since deleted from the tree
  cannot be placed again: the row's silo is then taken from the silo it was recorded with
  when that unit still exists (its silo at the current level), and kept as it was otherwise.
- ``rebuild_ties`` does the second half only: ``new_tie`` and the helpers for the scopes the
  rows carry (after a bulk load whose rows were classified when written).

Both work with SQL over the whole log, on both databases: the new values are computed first
(window functions), then only the rows that change are written, in batches of ``BATCH``
rows (``rebuild_log`` reports its progress after each). Neither commits: one transaction, so
the log is never half rebuilt. On SQLite it holds the database's write lock meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import months
from atoll.analytics.models import GRID_SCOPES
from atoll.analytics.network_store import forget_networks
from atoll.analytics.service import silos_by_unit
from atoll.org.models import Unit

BATCH = 20_000  # rows written per statement
Progress = Callable[[int, int], None]  # (done, total)

_UNIT_SILO = "rebuild_unit_silo"  # temporary: every unit of the tree -> its silo now
_TIE = "rebuild_tie"  # temporary: the rows whose new_tie or helpers change, with the new values


def _quiet(done: int, total: int) -> None:
    """No progress to show."""


@dataclass(frozen=True)
class _Dialect:
    name: str
    true: str
    false: str
    differs: str  # null-safe "is different from"
    shifted: str  # ``at`` moved back by the look-back window


_SQLITE = _Dialect(
    "sqlite",
    "1",
    "0",
    "IS NOT",
    # Timestamps are "YYYY-MM-DD HH:MM:SS.ffffff" text in UTC: shift the whole-second part by
    # whole days and keep the fraction, so the comparison is exact to the microsecond.
    "(strftime('%Y-%m-%d %H:%M:%S', at, '-{days} days') || substr(at, 20))",
)
_POSTGRES = _Dialect(
    "postgresql", "true", "false", "IS DISTINCT FROM", "(at - make_interval(days => {days}))"
)


async def _dialect(session: AsyncSession, lookback_days: int) -> tuple[_Dialect, int]:
    """The database's dialect, and the look-back window checked (a whole number of days,
    written into the SQL: a CREATE TABLE … AS takes no bound values on PostgreSQL)."""
    days = int(lookback_days)
    if days < 1:
        raise ValueError("lookback_days must be at least 1")
    postgres = (await session.connection()).dialect.name == "postgresql"
    return (_POSTGRES if postgres else _SQLITE), days


_GRID = "scope IN ({})".format(", ".join(f"'{scope}'" for scope in GRID_SCOPES))

# --- silos and scope --------------------------------------------------------------------------

# A side's silo now: from its unit when the unit is still in the tree, else from the silo it
# was recorded with when that one is (its silo at the current level), else as recorded.
# Externals have neither unit nor silo.
_SIDE_SILO = """
    CASE WHEN {side}_kind <> 'member' THEN NULL
         WHEN {u}.unit_id IS NOT NULL THEN {u}.silo_id
         WHEN {s}.unit_id IS NOT NULL THEN {s}.silo_id
         ELSE {side}_silo_id END
"""
# The scope from both sides, by the rules of service.scope_of, in the same order.
_SCOPE = """
    CASE WHEN target_id IS NULL THEN 'activity'
         WHEN actor_kind = 'external' AND target_kind = 'external' THEN 'externals'
         WHEN (actor_kind = 'member' AND actor_silo IS NULL)
              OR (target_kind = 'member' AND target_silo IS NULL) THEN 'no_silo'
         WHEN actor_kind = 'external' OR target_kind = 'external' THEN 'external'
         WHEN actor_silo = target_silo THEN 'within'
         ELSE 'across' END
"""
_CLASSIFIED = f"""
    SELECT id, actor_silo, target_silo, {_SCOPE} AS scope,
           old_actor_silo, old_target_silo, old_scope
    FROM (
        SELECT i.id, i.target_id, i.actor_kind, i.target_kind, i.scope AS old_scope,
               i.actor_silo_id AS old_actor_silo, i.target_silo_id AS old_target_silo,
               {_SIDE_SILO.format(side="i.actor", u="au", s="asl")} AS actor_silo,
               {_SIDE_SILO.format(side="i.target", u="tu", s="tsl")} AS target_silo
        FROM interaction AS i
        LEFT JOIN {_UNIT_SILO} AS au ON au.unit_id = i.actor_unit_id
        LEFT JOIN {_UNIT_SILO} AS asl ON asl.unit_id = i.actor_silo_id
        LEFT JOIN {_UNIT_SILO} AS tu ON tu.unit_id = i.target_unit_id
        LEFT JOIN {_UNIT_SILO} AS tsl ON tsl.unit_id = i.target_silo_id
        WHERE i.id > :after AND i.id <= :upto
    ) AS sides
"""
_RECLASSIFY = f"""
    UPDATE interaction
    SET actor_silo_id = w.actor_silo, target_silo_id = w.target_silo, scope = w.scope
    FROM ({_CLASSIFIED}) AS w
    WHERE interaction.id = w.id AND interaction.id > :after AND interaction.id <= :upto
      AND (w.actor_silo {{differs}} w.old_actor_silo
           OR w.target_silo {{differs}} w.old_target_silo
           OR w.scope <> w.old_scope)
"""
_SCOPES_CHANGED = f"SELECT COUNT(*) FROM ({_CLASSIFIED}) AS w WHERE w.scope <> w.old_scope"

# --- new ties and the helpers -----------------------------------------------------------------

# A row is on a new tie when the row before it on the same tie_key (ordered by time, then id)
# is absent or lies lookback_days or more before it — the same rule as record_interaction,
# which counts an earlier row only when ``at > now - lookback``. The cell's previous row is
# the one before on the same tie with the same scope and new_tie; a person's previous
# appearance, on a row of the grid, is their row of the grid before (either side), and there
# is none on the other rows.
_COMPUTED = f"""
    SELECT c.id, c.computed AS new_tie, c.new_tie AS old_new_tie,
           LAG(c.at) OVER (PARTITION BY c.tie_key, c.scope, c.computed ORDER BY c.at, c.id)
               AS cell_prev_at,
           p.actor_prev AS actor_prev_at, p.target_prev AS target_prev_at,
           c.cell_prev_at AS old_cell_prev_at, c.actor_prev_at AS old_actor_prev_at,
           c.target_prev_at AS old_target_prev_at
    FROM (
        SELECT id, at, tie_key, scope, new_tie, cell_prev_at, actor_prev_at, target_prev_at,
               CASE WHEN prev_at IS NULL OR prev_at <= {{shifted}} THEN {{true}} ELSE {{false}} END
                   AS computed
        FROM (
            SELECT id, at, tie_key, scope, new_tie, cell_prev_at, actor_prev_at, target_prev_at,
                   LAG(at) OVER (PARTITION BY tie_key ORDER BY at, id) AS prev_at
            FROM interaction
        ) AS ordered
    ) AS c
    LEFT JOIN (
        SELECT id,
               MAX(CASE WHEN side = 1 THEN prev END) AS actor_prev,
               MAX(CASE WHEN side = 2 THEN prev END) AS target_prev
        FROM (
            SELECT id, side, LAG(at) OVER (PARTITION BY person ORDER BY at, id) AS prev
            FROM (
                SELECT id, at, actor_id AS person, 1 AS side FROM interaction WHERE {_GRID}
                UNION ALL
                SELECT id, at, target_id AS person, 2 AS side FROM interaction WHERE {_GRID}
            ) AS sides
        ) AS by_person
        GROUP BY id
    ) AS p ON p.id = c.id
"""
_CHANGED = f"""
    CREATE TEMPORARY TABLE {_TIE} AS
    SELECT id, new_tie, old_new_tie, cell_prev_at, actor_prev_at, target_prev_at
    FROM ({_COMPUTED}) AS w
    WHERE w.new_tie <> w.old_new_tie
       OR w.cell_prev_at {{differs}} w.old_cell_prev_at
       OR w.actor_prev_at {{differs}} w.old_actor_prev_at
       OR w.target_prev_at {{differs}} w.old_target_prev_at
"""
_WRITE_TIES = f"""
    UPDATE interaction
    SET new_tie = w.new_tie, cell_prev_at = w.cell_prev_at,
        actor_prev_at = w.actor_prev_at, target_prev_at = w.target_prev_at
    FROM {_TIE} AS w
    WHERE interaction.id = w.id AND w.id > :after AND w.id <= :upto
      AND interaction.id > :after AND interaction.id <= :upto
"""
# (The range is said of both tables, so that each batch reads its slice of the log by its
# primary key whatever the planner makes of the temporary table.)


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild changed: of the log's ``rows``, how many changed scope (``scopes``) and
    how many changed between a new and an existing tie (``new_ties``)."""

    rows: int
    scopes: int
    new_ties: int


async def rebuild_log(
    session: AsyncSession,
    *,
    silo_level: int,
    lookback_days: int,
    progress: Progress | None = None,
    batch: int = BATCH,
    zone: ZoneInfo = months.UTC_ZONE,
) -> Rebuilt:
    """Recompute every row of the log (see the module) at this silo level and look-back
    window, then count the closed periods again (of ``zone``, the organisation's time zone,
    and of every zone counted before) and forget the kept networks. ``progress(done,
    total)`` is called as the work advances, ``total`` three steps per row (silos and scope,
    ordering, writing); rows are written ``batch`` at a time. Does not commit."""
    if silo_level < 0:
        raise ValueError("silo_level must be at least 0")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    dialect, days = await _dialect(session, lookback_days)
    report = progress or _quiet
    rows = int(await session.scalar(text("SELECT COUNT(*) FROM interaction")) or 0)
    total = 3 * rows
    report(0, total)
    scopes = await _reclassify(
        session, dialect, silo_level, lambda done: report(done, total), batch=batch
    )
    report(rows, total)
    new_ties = await _retie(
        session, dialect, days, lambda done: report(rows + done, total), rows=rows, batch=batch
    )
    await months.recount(session, zone=zone)
    await forget_networks(session)
    report(total, total)
    return Rebuilt(rows=rows, scopes=scopes, new_ties=new_ties)


async def rebuild_ties(session: AsyncSession, *, lookback_days: int) -> int:
    """Set ``new_tie`` on every interaction from the rows before it on its tie and recompute
    the roll-up helpers, for the silos and scopes the rows carry, writing only the rows that
    change; then count the closed months again (months.py); return how many rows' ``new_tie``
    changed. Does not commit."""
    dialect, days = await _dialect(session, lookback_days)
    rows = int(await session.scalar(text("SELECT COUNT(*) FROM interaction")) or 0)
    changed = await _retie(session, dialect, days, _quiet_done, rows=rows, batch=BATCH)
    await months.recount(session)
    return changed


def _quiet_done(done: int) -> None:
    """No progress to show."""


async def _batches(session: AsyncSession, table: str, batch: int) -> list[tuple[int, int, int]]:
    """(after, upto, rows): id ranges (after, upto] of ``batch`` rows each (the last one
    fewer), covering every row of the table; only the ranges' bounds are read."""
    first, last, rows = (
        await session.execute(text(f"SELECT MIN(id), MAX(id), COUNT(*) FROM {table}"))
    ).one()
    if not rows:
        return []
    cuts = list(
        await session.scalars(
            text(
                f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table}) "
                f"AS numbered WHERE n % {int(batch)} = 0 ORDER BY id"
            )
        )
    )
    if not cuts or cuts[-1] != last:
        cuts.append(last)
    afters = [first - 1, *cuts[:-1]]
    sizes = [batch] * (len(cuts) - 1) + [rows - batch * (len(cuts) - 1)]
    return list(zip(afters, cuts, sizes, strict=True))


async def _reclassify(
    session: AsyncSession, dialect: _Dialect, level: int, done: Callable[[int], None], *, batch: int
) -> int:
    """Each side's silo and the scope again, batch by batch, writing only the rows that
    change; return how many rows' scope changed."""
    units = await session.execute(select(Unit.id, Unit.path, Unit.level))
    silos = silos_by_unit(units.tuples(), level=level)
    await session.execute(text(f"DROP TABLE IF EXISTS {_UNIT_SILO}"))
    await session.execute(
        text(f"CREATE TEMPORARY TABLE {_UNIT_SILO} (unit_id BIGINT PRIMARY KEY, silo_id BIGINT)")
    )
    if silos:
        await session.execute(
            text(f"INSERT INTO {_UNIT_SILO} (unit_id, silo_id) VALUES (:unit, :silo)"),
            [{"unit": unit, "silo": silo} for unit, silo in silos.items()],
        )
    scopes = written = 0
    reclassify = text(_RECLASSIFY.format(differs=dialect.differs))
    for after, upto, count in await _batches(session, "interaction", batch):
        bounds = {"after": after, "upto": upto}
        scopes += int(await session.scalar(text(_SCOPES_CHANGED), bounds) or 0)
        await session.execute(reclassify, bounds)
        written += count
        done(written)
    await session.execute(text(f"DROP TABLE {_UNIT_SILO}"))
    return scopes


async def _retie(
    session: AsyncSession,
    dialect: _Dialect,
    days: int,
    done: Callable[[int], None],
    *,
    rows: int,
    batch: int,
) -> int:
    """``new_tie`` and the helpers again: computed for the whole log into a temporary table
    of the rows that change, then written batch by batch. ``done`` hears of ``rows`` once
    the new values are computed, and of up to ``2 * rows`` as they are written. Return how
    many rows' ``new_tie`` changed."""
    await session.execute(text(f"DROP TABLE IF EXISTS {_TIE}"))
    changed = _CHANGED.format(
        differs=dialect.differs,
        shifted=dialect.shifted.format(days=days),
        true=dialect.true,
        false=dialect.false,
    )
    await session.execute(text(changed))
    done(rows)
    await session.execute(text(f"CREATE INDEX {_TIE}_id ON {_TIE} (id)"))
    new_ties = int(
        await session.scalar(text(f"SELECT COUNT(*) FROM {_TIE} WHERE new_tie <> old_new_tie")) or 0
    )
    batches = await _batches(session, _TIE, batch)
    write = text(_WRITE_TIES)
    for n, (after, upto, _) in enumerate(batches, start=1):
        await session.execute(write, {"after": after, "upto": upto})
        done(rows + rows * n // len(batches))
    if not batches:
        done(2 * rows)
    await session.execute(text(f"DROP TABLE {_TIE}"))
    return new_ties
