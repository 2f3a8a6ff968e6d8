"""wiki and analytics

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 18:59:53.195957
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_day",
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_activity_day_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "day", name=op.f("pk_activity_day")),
    )
    with op.batch_alter_table("activity_day", schema=None) as batch_op:
        batch_op.create_index("ix_activity_day_day", ["day"], unique=False)

    op.create_table(
        "wiki_page",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=220), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
            name=op.f("fk_wiki_page_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["wiki_page.id"],
            name=op.f("fk_wiki_page_parent_id_wiki_page"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["space.id"], name=op.f("fk_wiki_page_space_id_space"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
            name=op.f("fk_wiki_page_updated_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_page")),
        sa.UniqueConstraint("space_id", "slug", name=op.f("uq_wiki_page_space_id_slug")),
    )
    with op.batch_alter_table("wiki_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wiki_page_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_wiki_page_space_id_title", ["space_id", "title"], unique=False)

    op.create_table(
        "wiki_link",
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target_slug", sa.String(length=220), nullable=False),
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_page.id"],
            name=op.f("fk_wiki_link_page_id_wiki_page"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"], ["space.id"], name=op.f("fk_wiki_link_space_id_space"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("page_id", "target_slug", name=op.f("pk_wiki_link")),
    )
    with op.batch_alter_table("wiki_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wiki_link_space_id_target_slug", ["space_id", "target_slug"], unique=False
        )

    op.create_table(
        "wiki_redirect",
        sa.Column("space_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=220), nullable=False),
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_page.id"],
            name=op.f("fk_wiki_redirect_page_id_wiki_page"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["space.id"],
            name=op.f("fk_wiki_redirect_space_id_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("space_id", "slug", name=op.f("pk_wiki_redirect")),
    )
    with op.batch_alter_table("wiki_redirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wiki_redirect_page_id"), ["page_id"], unique=False)

    op.create_table(
        "wiki_revision",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("page_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["person.id"],
            name=op.f("fk_wiki_revision_author_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["wiki_page.id"],
            name=op.f("fk_wiki_revision_page_id_wiki_page"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wiki_revision")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_wiki_revision_page_id_number")),
    )
    with op.batch_alter_table("wiki_revision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wiki_revision_page_id_author_id", ["page_id", "author_id"], unique=False
        )
    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=8), nullable=False, server_default="across")
        )
        batch_op.add_column(
            sa.Column("tie_key", sa.String(length=48), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("new_tie", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index("ix_interaction_tie_key_at", ["tie_key", "at"], unique=False)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_analyst", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _derive_cells()

    # ### end Alembic commands ###


def _derive_cells() -> None:
    """Give interactions recorded before this revision their cell (posts count as across
    silos unless they went to a hybrid or public space; the code decides finer from now on)."""
    op.execute(
        """
        UPDATE interaction SET
          scope = CASE
            WHEN actor_kind = 'external' OR target_kind = 'external' THEN 'external'
            WHEN target_id IS NULL AND EXISTS (
              SELECT 1 FROM space s WHERE s.id = interaction.space_id
              AND s.kind IN ('hybrid', 'public')) THEN 'external'
            WHEN target_id IS NOT NULL AND actor_silo_id = target_silo_id THEN 'within'
            ELSE 'across' END,
          tie_key = CASE
            WHEN target_id IS NULL
              THEN 's:' || CAST(actor_id AS TEXT) || ':' || COALESCE(CAST(space_id AS TEXT), '')
            WHEN actor_id < target_id
              THEN 'p:' || CAST(actor_id AS TEXT) || ':' || CAST(target_id AS TEXT)
            ELSE 'p:' || CAST(target_id AS TEXT) || ':' || CAST(actor_id AS TEXT) END
        """
    )
    op.execute(
        """
        UPDATE interaction SET new_tie = NOT EXISTS (
          SELECT 1 FROM interaction AS earlier
          WHERE earlier.tie_key = interaction.tie_key
            AND earlier.at < interaction.at
            AND earlier.at > interaction.at - INTERVAL '90 days')
        """
        if op.get_bind().dialect.name == "postgresql"
        else """
        UPDATE interaction SET new_tie = NOT EXISTS (
          SELECT 1 FROM interaction AS earlier
          WHERE earlier.tie_key = interaction.tie_key
            AND earlier.at < interaction.at
            AND julianday(earlier.at) > julianday(interaction.at) - 90)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("is_analyst")

    with op.batch_alter_table("interaction", schema=None) as batch_op:
        batch_op.drop_index("ix_interaction_tie_key_at")
        batch_op.drop_column("new_tie")
        batch_op.drop_column("tie_key")
        batch_op.drop_column("scope")

    with op.batch_alter_table("wiki_revision", schema=None) as batch_op:
        batch_op.drop_index("ix_wiki_revision_page_id_author_id")

    op.drop_table("wiki_revision")
    with op.batch_alter_table("wiki_redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wiki_redirect_page_id"))

    op.drop_table("wiki_redirect")
    with op.batch_alter_table("wiki_link", schema=None) as batch_op:
        batch_op.drop_index("ix_wiki_link_space_id_target_slug")

    op.drop_table("wiki_link")
    with op.batch_alter_table("wiki_page", schema=None) as batch_op:
        batch_op.drop_index("ix_wiki_page_space_id_title")
        batch_op.drop_index(batch_op.f("ix_wiki_page_parent_id"))

    op.drop_table("wiki_page")
    with op.batch_alter_table("activity_day", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_day_day")

    op.drop_table("activity_day")
    # ### end Alembic commands ###
