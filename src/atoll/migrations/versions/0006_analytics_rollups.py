"""analytics rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 19:22:21.450377
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cell_prev_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("actor_prev_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("target_prev_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_interaction_actor_id_at", ["actor_id", "at"], unique=False)
        batch_op.create_index("ix_interaction_target_id_at", ["target_id", "at"], unique=False)
        batch_op.create_index(
            "ix_interaction_at_cells",
            [
                "at",
                "scope",
                "new_tie",
                "target_id",
                "cell_prev_at",
                "actor_prev_at",
                "target_prev_at",
            ],
            unique=False,
        )
    # Fill the new columns for the rows already in the log.
    # (The SQL is frozen here as it was written; analytics/ties.py keeps the live copy.)
    differs = "IS DISTINCT FROM" if op.get_bind().dialect.name == "postgresql" else "IS NOT"
    for statement in (_CELL_PREV, _PERSON_PREV):
        op.execute(statement.format(differs=differs))


_CELL_PREV = """
    UPDATE interaction SET cell_prev_at = w.prev
    FROM (
        SELECT id, cell_prev_at AS cur,
               LAG(at) OVER (PARTITION BY tie_key, scope, new_tie ORDER BY at, id) AS prev
        FROM interaction
    ) AS w
    WHERE interaction.id = w.id AND w.prev {differs} w.cur
"""

_PERSON_PREV = """
    UPDATE interaction SET actor_prev_at = w.actor_prev, target_prev_at = w.target_prev
    FROM (
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
        ) AS ordered
        GROUP BY id
    ) AS w
    WHERE interaction.id = w.id
      AND (w.actor_prev {differs} interaction.actor_prev_at
           OR w.target_prev {differs} interaction.target_prev_at)
"""


def downgrade() -> None:
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_at_cells")
        batch_op.drop_index("ix_interaction_target_id_at")
        batch_op.drop_index("ix_interaction_actor_id_at")
        batch_op.drop_column("target_prev_at")
        batch_op.drop_column("actor_prev_at")
        batch_op.drop_column("cell_prev_at")
