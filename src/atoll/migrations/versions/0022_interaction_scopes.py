# ruff: noqa: S608 - the SQL below is made of this file's own constants
"""interaction scopes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 10:00:00

The interaction log under the definitions of issue 20 (analytics/service.py, models.py):

- ``scope`` holds up to 16 characters on PostgreSQL (``externals``, ``no_silo``,
  ``activity``); SQLite does not enforce a VARCHAR's length and keeps its columns as they are
  (rebuilding the log's table for a declared length would be all cost);
- a reaction and a vote count once per person and post: the later duplicates (taken back and
  given again, a second emoji) are deleted, the first kept; an index makes "has this person
  reacted to this post?" a lookup, and two partial indexes each person's last row of the
  grid;
- rows without a target (posts, a wiki page's first revision) become ``activity``; two
  externals ``externals``; a member side in no silo — no unit, or a unit above the silo level
  (``ATOLL_SILO_LEVEL`` as the app's settings read it, default 2) — gets no silo, and the row
  ``no_silo``; the other rows are classified again from the silos they carry;
- ``new_tie`` and the roll-up helpers are recomputed as ``atoll analytics rebuild`` does
  (the look-back window ``ATOLL_TIE_LOOKBACK_DAYS``, default 90): the people's helpers now
  count rows of the grid only;
- ``interaction_month`` is emptied: housekeeping counts the closed months again.

Silos are not recomputed from the current tree here (a row keeps the silo of the unit it was
recorded in, at the level it was recorded with): after a change of ``ATOLL_SILO_LEVEL``,
``atoll analytics rebuild`` does that.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from atoll.kit.settings import Settings

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (The SQL is frozen here as it was written; analytics/ties.py keeps the live copy.)
GRID = "scope IN ('within', 'across', 'external')"

_DUPLICATES = """
    DELETE FROM interaction
    WHERE kind IN ('reaction', 'vote') AND post_id IS NOT NULL
      AND EXISTS (
          SELECT 1 FROM interaction AS earlier
          WHERE earlier.post_id = interaction.post_id
            AND earlier.actor_id = interaction.actor_id
            AND earlier.kind = interaction.kind
            AND (earlier.at < interaction.at
                 OR (earlier.at = interaction.at AND earlier.id < interaction.id))
      )
"""
_NO_SILO = """
    UPDATE interaction SET {side}_silo_id = NULL
    WHERE {side}_kind = 'member' AND {side}_silo_id IS NOT NULL
      AND ({side}_unit_id IS NULL
           OR {side}_unit_id IN (SELECT id FROM unit WHERE level < :level))
"""
_SCOPE = """
    CASE WHEN target_id IS NULL THEN 'activity'
         WHEN actor_kind = 'external' AND target_kind = 'external' THEN 'externals'
         WHEN (actor_kind = 'member' AND actor_silo_id IS NULL)
              OR (target_kind = 'member' AND target_silo_id IS NULL) THEN 'no_silo'
         WHEN actor_kind = 'external' OR target_kind = 'external' THEN 'external'
         WHEN actor_silo_id = target_silo_id THEN 'within'
         ELSE 'across' END
"""
_RESCOPE = f"UPDATE interaction SET scope = {_SCOPE} WHERE scope <> {_SCOPE}"
_SHIFTED = {
    "sqlite": "(strftime('%Y-%m-%d %H:%M:%S', at, '-{days} days') || substr(at, 20))",
    "postgresql": "(at - make_interval(days => {days}))",
}
_HELPERS = f"""
    UPDATE interaction
    SET new_tie = w.computed, cell_prev_at = w.cell_prev,
        actor_prev_at = w.actor_prev, target_prev_at = w.target_prev
    FROM (
        SELECT c.id, c.computed, c.new_tie AS old_new_tie,
               LAG(c.at) OVER (PARTITION BY c.tie_key, c.scope, c.computed ORDER BY c.at, c.id)
                   AS cell_prev,
               p.actor_prev, p.target_prev
        FROM (
            SELECT id, at, tie_key, scope, new_tie,
                   CASE WHEN prev_at IS NULL OR prev_at <= {{shifted}} THEN {{true}}
                        ELSE {{false}} END AS computed
            FROM (
                SELECT id, at, tie_key, scope, new_tie,
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
                    SELECT id, at, actor_id AS person, 1 AS side FROM interaction WHERE {GRID}
                    UNION ALL
                    SELECT id, at, target_id AS person, 2 AS side FROM interaction WHERE {GRID}
                ) AS sides
            ) AS by_person
            GROUP BY id
        ) AS p ON p.id = c.id
    ) AS w
    WHERE interaction.id = w.id
      AND (w.computed <> w.old_new_tie
           OR w.cell_prev {{differs}} interaction.cell_prev_at
           OR w.actor_prev {{differs}} interaction.actor_prev_at
           OR w.target_prev {{differs}} interaction.target_prev_at)
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    postgres = dialect == "postgresql"
    if postgres:
        for table in ("interaction", "interaction_month"):
            op.alter_column(
                table,
                "scope",
                existing_type=sa.String(length=8),
                type_=sa.String(length=16),
                existing_nullable=False,
            )
    op.create_index(
        "ix_interaction_post_id_actor_id_kind", "interaction", ["post_id", "actor_id", "kind"]
    )
    for side in ("actor", "target"):
        op.create_index(
            f"ix_interaction_{side}_id_at_grid",
            "interaction",
            [f"{side}_id", "at"],
            sqlite_where=sa.text(GRID),
            postgresql_where=sa.text(GRID),
        )
    settings = Settings()  # ATOLL_SILO_LEVEL and ATOLL_TIE_LOOKBACK_DAYS, as the app reads them
    bind = op.get_bind()
    bind.execute(sa.text(_DUPLICATES))
    for side in ("actor", "target"):
        bind.execute(sa.text(_NO_SILO.format(side=side)), {"level": settings.silo_level})
    bind.execute(sa.text(_RESCOPE))
    shifted = _SHIFTED["postgresql" if postgres else "sqlite"].format(
        days=int(settings.tie_lookback_days)
    )
    bind.execute(
        sa.text(
            _HELPERS.format(
                shifted=shifted,
                true="true" if postgres else "1",
                false="false" if postgres else "0",
                differs="IS DISTINCT FROM" if postgres else "IS NOT",
            )
        )
    )
    bind.execute(sa.text("DELETE FROM interaction_month"))


# Back to the earlier words (approximately: a post in a unit space of the author's own silo
# was "within" before, it becomes "across" here); the deleted duplicates stay deleted. The
# earlier version's `atoll analytics rebuild` recomputes its new ties and helpers.
_OLD_SCOPE = """
    UPDATE interaction SET scope = CASE
        WHEN scope = 'externals' THEN 'external'
        WHEN scope = 'no_silo' AND (actor_kind = 'external' OR target_kind = 'external')
            THEN 'external'
        WHEN scope = 'no_silo' THEN 'across'
        WHEN actor_kind = 'external'
             OR space_id IN (SELECT id FROM space WHERE kind IN ('hybrid', 'public'))
            THEN 'external'
        ELSE 'across' END
    WHERE scope IN ('externals', 'no_silo', 'activity')
"""
# Earlier, a unit at or above the silo level was its own silo.
_OLD_SILO = """
    UPDATE interaction SET {side}_silo_id = {side}_unit_id
    WHERE {side}_kind = 'member' AND {side}_silo_id IS NULL AND {side}_unit_id IS NOT NULL
"""


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text(_OLD_SCOPE))
    for side in ("actor", "target"):
        bind.execute(sa.text(_OLD_SILO.format(side=side)))
    bind.execute(sa.text("DELETE FROM interaction_month"))
    for side in ("target", "actor"):
        op.drop_index(f"ix_interaction_{side}_id_at_grid", table_name="interaction")
    op.drop_index("ix_interaction_post_id_actor_id_kind", table_name="interaction")
    if bind.dialect.name == "postgresql":
        for table in ("interaction_month", "interaction"):
            op.alter_column(
                table,
                "scope",
                existing_type=sa.String(length=16),
                type_=sa.String(length=8),
                existing_nullable=False,
            )
