"""drafts

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 03:30:00

What a person is writing in a space's composer, saved as they type (``draft``): one row per
person and space, removed when it is posted or discarded, and when the person or the space
goes. An index serves "the person's most recent draft" (the home page's composer).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("space_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_draft_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["space.id"], name=op.f("fk_draft_space_id_space"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "space_id", name=op.f("pk_draft")),
    )
    op.create_index(op.f("ix_draft_space_id"), "draft", ["space_id"])
    op.create_index("ix_draft_person_id_updated_at", "draft", ["person_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_person_id_updated_at", table_name="draft")
    op.drop_index(op.f("ix_draft_space_id"), table_name="draft")
    op.drop_table("draft")
