"""guidelines, first words to outsiders, practice spaces

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 03:30:00

- ``space.guidelines``: "how we work here", Markdown its owners and moderators write;
- ``membership.guidelines_due``: a member who joined and has not said "Got it" to them yet
  (memberships made before this: none due);
- ``outsider_confirmation``: a person confirmed once that they write where outsiders read
  ("audience") or that they mention an external person ("mention").

A practice space is a space of kind ``practice``: the kind is a plain string, nothing to
migrate. Columns are added in place (no batch rebuild: space and membership are referenced
with ON DELETE CASCADE, and rebuilding them on SQLite would cascade deletes).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("space", sa.Column("guidelines", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "membership",
        sa.Column("guidelines_due", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "outsider_confirmation",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_outsider_confirmation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "what", name=op.f("pk_outsider_confirmation")),
    )
    _remember_earlier_words()


# Who wrote before these questions existed is not asked "the first time" again: a member who
# posted or commented in a hybrid or a public space (audience), or who mentioned an external
# person (mention). (conversations.outsiders.do_remember_earlier_words says the same for the
# demo's history; this copy stays as it is when that code changes.)
EARLIER = {
    "audience": """
        SELECT DISTINCT w.who FROM (
            SELECT p.author_id AS who FROM post p JOIN space s ON s.id = p.space_id
            WHERE s.kind IN ('hybrid', 'public')
            UNION
            SELECT c.author_id AS who FROM comment c JOIN post p ON p.id = c.post_id
            JOIN space s ON s.id = p.space_id WHERE s.kind IN ('hybrid', 'public')
        ) w JOIN person pe ON pe.id = w.who WHERE pe.kind = 'member'
    """,
    "mention": """
        SELECT DISTINCT w.who FROM (
            SELECT COALESCE(c.author_id, p.author_id) AS who FROM mention m
            JOIN person x ON x.id = m.person_id AND x.kind = 'external'
            JOIN post p ON p.id = m.post_id
            LEFT JOIN comment c ON c.id = m.comment_id
        ) w JOIN person pe ON pe.id = w.who WHERE pe.kind = 'member'
    """,
}


INSERT = (
    "INSERT INTO outsider_confirmation (person_id, what, confirmed_at) "
    "SELECT who, :what, :now FROM ("
)


def _remember_earlier_words() -> None:
    now = sa.bindparam("now", datetime.now(UTC), type_=AT)
    for what, people in EARLIER.items():
        statement = sa.text(INSERT + people + ") AS earlier")  # noqa: S608 (constants only)
        op.execute(statement.bindparams(now, sa.bindparam("what", what)))


def downgrade() -> None:
    op.drop_table("outsider_confirmation")
    op.drop_column("membership", "guidelines_due")
    op.drop_column("space", "guidelines")
