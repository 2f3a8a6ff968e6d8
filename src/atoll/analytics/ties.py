"""Recomputing ``Interaction.new_tie`` (and the roll-up helpers that depend on the order of
the log) for the whole log from the log itself.

``record_interaction`` decides ``new_tie`` when a row is written. Rows inserted in bulk (the
demo generator, an import of history), rows written out of time order, or a changed
look-back window need it decided again: ``rebuild_ties`` does it with SQL window functions, on
both databases, then recomputes ``cell_prev_at``, ``actor_prev_at`` and ``target_prev_at``
(see models.py), which the value matrix sums."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import months

# A row is on a new tie when the row before it on the same tie_key (ordered by time, then id)
# is absent or lies lookback_days or more before it — the same rule as record_interaction,
# which counts an earlier row only when ``at > now - lookback``.

# SQLite keeps timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text in UTC: shift the whole-second
# part by whole days and keep the fraction, so the comparison is exact to the microsecond.
_SQLITE_SHIFTED = "(strftime('%Y-%m-%d %H:%M:%S', at, :shift) || substr(at, 20))"
_PG_SHIFTED = "(at - make_interval(days => :days))"

# Everything at once, so that each row is written at most once (a bulk load leaves every
# helper to fill): new_tie as above, the cell's previous row by the new values, and each
# person's previous appearance.
_COMPUTED = """
    SELECT c.id, c.computed, c.new_tie AS old_new_tie,
           LAG(c.at) OVER (PARTITION BY c.tie_key, c.scope, c.computed ORDER BY c.at, c.id)
               AS cell_prev,
           p.actor_prev, p.target_prev
    FROM (
        SELECT id, at, tie_key, scope, new_tie,
               CASE WHEN prev_at IS NULL OR prev_at <= {shifted} THEN {true} ELSE {false} END
                   AS computed
        FROM (
            SELECT id, at, tie_key, scope, new_tie,
                   LAG(at) OVER (PARTITION BY tie_key ORDER BY at, id) AS prev_at
            FROM interaction
        ) AS ordered
    ) AS c
    JOIN (
        SELECT id,
               MAX(CASE WHEN side = 1 THEN prev END) AS actor_prev,
               MAX(CASE WHEN side = 2 THEN prev END) AS target_prev
        FROM (
            SELECT id, side, LAG(at) OVER (PARTITION BY person ORDER BY at, id) AS prev
            FROM (
                SELECT id, at, actor_id AS person, 1 AS side FROM interaction
                UNION ALL
                SELECT id, at, target_id AS person, 2 AS side FROM interaction
                WHERE target_id IS NOT NULL
            ) AS sides
        ) AS by_person
        GROUP BY id
    ) AS p ON p.id = c.id
"""
_REBUILD = """
    UPDATE interaction
    SET new_tie = w.computed, cell_prev_at = w.cell_prev,
        actor_prev_at = w.actor_prev, target_prev_at = w.target_prev
    FROM ({computed}) AS w
    WHERE interaction.id = w.id
      AND (w.computed <> w.old_new_tie
           OR w.cell_prev {differs} interaction.cell_prev_at
           OR w.actor_prev {differs} interaction.actor_prev_at
           OR w.target_prev {differs} interaction.target_prev_at)
"""


async def rebuild_ties(session: AsyncSession, *, lookback_days: int) -> int:
    """Set ``new_tie`` on every interaction from the rows before it on its tie and recompute
    the roll-up helpers, in one UPDATE that writes only the rows that change, then count the
    closed months again (months.py); return how many rows' ``new_tie`` changed. Does not
    commit."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    dialect = (await session.connection()).dialect.name
    if dialect == "postgresql":
        shifted, true, false, differs = _PG_SHIFTED, "true", "false", "IS DISTINCT FROM"
        params: dict[str, object] = {"days": lookback_days}
    else:
        shifted, true, false, differs = _SQLITE_SHIFTED, "1", "0", "IS NOT"
        params = {"shift": f"-{lookback_days} days"}
    computed = _COMPUTED.format(shifted=shifted, true=true, false=false)
    changed = await session.scalar(
        text(f"SELECT COUNT(*) FROM ({computed}) AS w WHERE w.computed <> w.old_new_tie"),  # noqa: S608
        params,
    )
    await session.execute(text(_REBUILD.format(computed=computed, differs=differs)), params)
    await months.recount(session)
    return int(changed or 0)
