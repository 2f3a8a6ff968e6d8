"""reports and suspension

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:26:17

Reports and the moderation queue (``atoll.governance``): the ``report`` table; a post or a
comment a moderator hid (``hidden_at``, ``hidden_note``); a person a moderator suspended
(``person.suspended_until``).

The new columns are plain nullable columns added with ``op.add_column``, never batch mode:
on SQLite a batch alter rebuilds the table, and dropping the old ``person``, ``post`` or
``comment`` inside the migration's transaction would cascade to every row that refers to it
(ON DELETE CASCADE). Added in place, they carry no foreign key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("reporter_id", ID, nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("space_id", ID, nullable=True),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("resolved_by_id", ID, nullable=True),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_report_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["person.id"],
            name=op.f("fk_report_reporter_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["person.id"],
            name=op.f("fk_report_resolved_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["space.id"], name=op.f("fk_report_space_id_space"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    op.create_index("ix_report_reporter_id", "report", ["reporter_id"])
    op.create_index("ix_report_space_id", "report", ["space_id"])
    op.create_index("ix_report_resolved_at_id", "report", ["resolved_at", "id"])
    op.create_index("ix_report_target_type_target_id", "report", ["target_type", "target_id"])
    for table in ("post", "comment"):
        op.add_column(table, sa.Column("hidden_at", WHEN, nullable=True))
        op.add_column(table, sa.Column("hidden_note", sa.Text(), nullable=True))
    op.add_column("person", sa.Column("suspended_until", WHEN, nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place too.
    op.drop_column("person", "suspended_until")
    for table in ("comment", "post"):
        op.drop_column(table, "hidden_note")
        op.drop_column(table, "hidden_at")
    for index in (
        "ix_report_target_type_target_id",
        "ix_report_resolved_at_id",
        "ix_report_space_id",
        "ix_report_reporter_id",
    ):
        op.drop_index(index, table_name="report")
    op.drop_table("report")
