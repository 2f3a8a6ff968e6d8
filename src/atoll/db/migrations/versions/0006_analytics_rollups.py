"""analytics rollups

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 19:22:21.450377
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from atoll.analytics.ties import rollup_statements

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
    for statement in rollup_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_at_cells")
        batch_op.drop_index("ix_interaction_target_id_at")
        batch_op.drop_index("ix_interaction_actor_id_at")
        batch_op.drop_column("target_prev_at")
        batch_op.drop_column("actor_prev_at")
        batch_op.drop_column("cell_prev_at")
