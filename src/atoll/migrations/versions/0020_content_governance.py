"""content governance

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 20:26:15

The states of content that governance sets (``atoll.conversations.moderation``,
``atoll.wiki.service``): a post pinned in its space or announced to the whole organisation
until a date, a thread closed to new comments, who deleted a comment (to restore it), a wiki
page locked to the space's moderators, and the announcements each person hid. Indexes serve
the pinned posts of a space, the current announcements and the housekeeping that purges what
was deleted longer ago than ``ATOLL_RESTORE_DAYS``.

Columns are added in place with ``op.add_column`` (no batch rebuild: post, comment and
wiki_page are referenced with ON DELETE CASCADE, and rebuilding them on SQLite would cascade
deletes); for the same reason the new ``*_by_id`` columns carry no foreign key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)
POST_COLUMNS = (
    ("pinned_at", AT),
    ("pinned_by_id", ID),
    ("announced_until", AT),
    ("announced_at", AT),
    ("announced_by_id", ID),
    ("closed_at", AT),
    ("closed_by_id", ID),
)


def upgrade() -> None:
    op.create_table(
        "announcement_dismissal",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("post_id", ID, nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_announcement_dismissal_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["post.id"],
            name=op.f("fk_announcement_dismissal_post_id_post"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "post_id", name=op.f("pk_announcement_dismissal")),
    )
    op.create_index(
        op.f("ix_announcement_dismissal_post_id"), "announcement_dismissal", ["post_id"]
    )
    for name, type_ in POST_COLUMNS:
        op.add_column("post", sa.Column(name, type_, nullable=True))
    op.create_index("ix_post_space_id_pinned_at", "post", ["space_id", "pinned_at"])
    op.create_index("ix_post_announced_until", "post", ["announced_until"])
    op.create_index("ix_post_deleted_at", "post", ["deleted_at"])
    op.add_column("comment", sa.Column("deleted_by_id", ID, nullable=True))
    op.create_index("ix_comment_deleted_at", "comment", ["deleted_at"])
    op.add_column("wiki_page", sa.Column("locked_at", AT, nullable=True))
    op.add_column("wiki_page", sa.Column("locked_by_id", ID, nullable=True))


def downgrade() -> None:
    op.drop_column("wiki_page", "locked_by_id")
    op.drop_column("wiki_page", "locked_at")
    op.drop_index("ix_comment_deleted_at", table_name="comment")
    op.drop_column("comment", "deleted_by_id")
    op.drop_index("ix_post_deleted_at", table_name="post")
    op.drop_index("ix_post_announced_until", table_name="post")
    op.drop_index("ix_post_space_id_pinned_at", table_name="post")
    for name, _ in reversed(POST_COLUMNS):
        op.drop_column("post", name)
    op.drop_index(op.f("ix_announcement_dismissal_post_id"), table_name="announcement_dismissal")
    op.drop_table("announcement_dismissal")
