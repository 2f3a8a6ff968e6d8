"""adoption roll-ups

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 00:30:00

What the adoption figures read instead of the whole log (see analytics/adoption_store.py),
derived from ``activity_day`` and ``interaction`` by housekeeping, day by day of the
organisation's time zone: ``adoption_day`` (each member's day: active, contributions, posts,
acts given and received), ``adoption_tally`` (the people of each day by the day they were last
seen before it: distinct people over any run of days are plain sums), ``adoption_period`` (the
distinct people of each whole week and month), ``adoption_mark`` (each member's running totals
on the first of every month and where counting has reached) and ``adoption_fill`` (how far
counting has reached, per time zone). Empty here: housekeeping fills them; until it has, the
figures are counted from the log itself (the same numbers, more slowly). On SQLite the four
derived tables are WITHOUT ROWID: their rows are kept in the order of the primary key, so a
run of days is read in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ZONE = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "adoption_day",
        sa.Column("zone", ZONE, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("new_week", sa.Boolean(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_adoption_day_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone", "day", "person_id", name=op.f("pk_adoption_day")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "adoption_tally",
        sa.Column("zone", ZONE, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("prev", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("zone", "day", "measure", "prev", name=op.f("pk_adoption_tally")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "adoption_period",
        sa.Column("zone", ZONE, nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "zone", "period", "start", "measure", name=op.f("pk_adoption_period")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "adoption_mark",
        sa.Column("zone", ZONE, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "active_days",
                "contribution_days",
                "weeks",
                "posts",
                "given",
                "received",
            )
        ),
        sa.Column("last_active", sa.Date(), nullable=True),
        sa.Column("last_contribution", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_adoption_mark_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone", "day", "person_id", name=op.f("pk_adoption_mark")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "adoption_fill",
        sa.Column("zone", ZONE, nullable=False),
        sa.Column("filled_to", sa.Date(), nullable=False),
        sa.Column("interaction_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_adoption_fill")),
    )

    # What adoption's questions are read through: the questions of a range without the other
    # posts, and each one's first answer without reading the comments' rows.
    op.create_index(
        "ix_post_kind_created_at",
        "post",
        ["kind", "created_at", "id", "author_id", "deleted_at"],
    )
    op.create_index(
        "ix_comment_post_id_answers",
        "comment",
        ["post_id", "created_at", "id", "author_id", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_comment_post_id_answers", table_name="comment")
    op.drop_index("ix_post_kind_created_at", table_name="post")
    op.drop_table("adoption_fill")
    op.drop_table("adoption_mark")
    op.drop_table("adoption_period")
    op.drop_table("adoption_tally")
    op.drop_table("adoption_day")
