"""Recomputing ``Interaction.new_tie`` for the whole log from the log itself.

``record_interaction`` decides ``new_tie`` when a row is written. Rows inserted in bulk (the
demo generator, an import of history) or a changed look-back window need it decided again:
``rebuild_ties`` does it in one SQL statement with a window function, on both databases."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# A row is on a new tie when the row before it on the same tie_key (ordered by time, then id)
# is absent or lies lookback_days or more before it — the same rule as record_interaction,
# which counts an earlier row only when ``at > now - lookback``.
_COMPUTED = """
    SELECT id, new_tie,
           CASE WHEN prev_at IS NULL OR prev_at <= {shifted} THEN {true} ELSE {false} END
               AS computed
    FROM (
        SELECT id, at, new_tie,
               LAG(at) OVER (PARTITION BY tie_key ORDER BY at, id) AS prev_at
        FROM interaction
    ) AS ordered
"""

# SQLite keeps timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text in UTC: shift the whole-second
# part by whole days and keep the fraction, so the comparison is exact to the microsecond.
_SQLITE_SHIFTED = "(strftime('%Y-%m-%d %H:%M:%S', at, :shift) || substr(at, 20))"
_PG_SHIFTED = "(at - make_interval(days => :days))"


async def rebuild_ties(session: AsyncSession, *, lookback_days: int) -> int:
    """Set ``new_tie`` on every interaction from the rows before it on its tie; return how
    many rows changed. Does not commit."""
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    if (await session.connection()).dialect.name == "postgresql":
        computed = _COMPUTED.format(shifted=_PG_SHIFTED, true="true", false="false")
        params: dict[str, object] = {"days": lookback_days}
    else:
        computed = _COMPUTED.format(shifted=_SQLITE_SHIFTED, true="1", false="0")
        params = {"shift": f"-{lookback_days} days"}
    statement = text(
        f"UPDATE interaction SET new_tie = changed.computed "  # noqa: S608 - no user text
        f"FROM ({computed}) AS changed "
        f"WHERE interaction.id = changed.id AND changed.new_tie <> changed.computed"
    )
    result = await session.execute(statement, params)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
