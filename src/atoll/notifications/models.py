"""In-app notifications and each person's e-mail preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column
from atoll.kit.time import utcnow

KINDS = (
    "mention",
    "reply",
    "reaction",
    "invitation",
    "join_request",
    "join_answer",
    "accepted",
    "idea_status",
    "new_post",
    "moderation",  # a moderator acted on what the person wrote (or on them)
    "report_outcome",  # a report the person made was reviewed
)


class Notification(Base):
    """One thing to tell a person. Reactions to the same post are batched into one unread row
    ("Ana and 4 others"): ``actor_id`` is the latest actor, ``count`` how many acted."""

    __tablename__ = "notification"

    id: Mapped[int] = id_column()
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    count: Mapped[int] = mapped_column(Integer, default=1)
    space_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("post.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("comment.id", ondelete="CASCADE")
    )
    detail: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_notification_person_id_read_at_id", "person_id", "read_at", "id"),
        Index("ix_notification_post_id", "post_id"),
    )


class NotificationPreference(Base):
    """A person's e-mail choices; no row means the defaults."""

    __tablename__ = "notification_preference"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    email_mentions: Mapped[bool] = mapped_column(Boolean, default=True)
    email_invitations: Mapped[bool] = mapped_column(Boolean, default=True)
    email_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
