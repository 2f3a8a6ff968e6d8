"""Posts, comments, their earlier versions, reactions, votes, mentions, follows, attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column
from atoll.kit.time import utcnow

POST_KINDS = ("update", "question", "idea", "announcement")
IDEA_STATUSES = ("new", "reviewing", "adopted", "declined")


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="update")
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    # Hidden by a moderator (atoll.governance): only its author, the space's moderators and
    # platform moderators read it (``policy.unhidden``). Added in place, no foreign key.
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hidden_note: Mapped[str | None] = mapped_column(Text)
    # No foreign key: comment and post refer to each other; the service keeps it consistent.
    accepted_comment_id: Mapped[int | None] = mapped_column(BigId)
    idea_status: Mapped[str | None] = mapped_column(String(16))
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Governance (``atoll.conversations.moderation``). The ``*_by_id`` columns name a person
    # without a foreign key: they were added to a table others reference with ON DELETE
    # CASCADE, which SQLite could only do by rebuilding it (and cascading deletes); a person
    # who is gone leaves an id nobody resolves, read as "someone".
    pinned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # pinned in its space
    pinned_by_id: Mapped[int | None] = mapped_column(BigId)
    announced_until: Mapped[datetime | None] = mapped_column(UtcDateTime)  # organisation-wide
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    announced_by_id: Mapped[int | None] = mapped_column(BigId)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # no new comments
    closed_by_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_post_space_id_created_at_id", "space_id", "created_at", "id"),
        Index("ix_post_author_id_created_at_id", "author_id", "created_at", "id"),
        Index("ix_post_created_at_id", "created_at", "id"),
        Index("ix_post_space_id_pinned_at", "space_id", "pinned_at"),
        Index("ix_post_announced_until", "announced_until"),
        Index("ix_post_deleted_at", "deleted_at"),
    )


class PostRevision(Base):
    """An earlier version of a post's body, kept when it is edited."""

    __tablename__ = "post_revision"

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("post.id", ondelete="CASCADE"))
    # One level of replies: a reply's parent is a top-level comment.
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Who deleted it (restore, "Recently deleted"); no foreign key, as for the post's columns.
    deleted_by_id: Mapped[int | None] = mapped_column(BigId)
    # Hidden by a moderator, as a post may be (see ``Post.hidden_at``).
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hidden_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_comment_post_id_created_at_id", "post_id", "created_at", "id"),
        Index("ix_comment_deleted_at", "deleted_at"),
    )


class CommentRevision(Base):
    __tablename__ = "comment_revision"

    id: Mapped[int] = id_column()
    comment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()


class Reaction(Base):
    __tablename__ = "reaction"

    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()


class IdeaVote(Base):
    __tablename__ = "idea_vote"

    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()


class Mention(Base):
    __tablename__ = "mention"

    id: Mapped[int] = id_column()
    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    comment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("comment.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class Follow(Base):
    __tablename__ = "follow"

    follower_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    target_type: Mapped[str] = mapped_column(String(8), primary_key=True)  # person | space
    target_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("ix_follow_target_type_target_id", "target_type", "target_id"),)


class Attachment(Base):
    """A file or image on a post. Stored under the attachments directory by ``storage_key``;
    the type is detected from the content, never taken from the client."""

    __tablename__ = "attachment"

    id: Mapped[int] = id_column()
    post_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class AnnouncementDismissal(Base):
    """A person hid an organisation-wide announcement ("Hide this announcement")."""

    __tablename__ = "announcement_dismissal"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class Draft(Base):
    """What a person is writing in a space's composer, saved as they type: one per person and
    space (``atoll.conversations.drafts``). Posting it, or discarding it, removes it."""

    __tablename__ = "draft"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="update")
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_draft_person_id_updated_at", "person_id", "updated_at"),)


class OutsiderConfirmation(Base):
    """A person confirmed, once, that they write where outsiders read: ``what`` is
    "audience" (their first post or comment in a space people from outside the organisation
    or the public read) or "mention" (their first mention of an external person)."""

    __tablename__ = "outsider_confirmation"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    what: Mapped[str] = mapped_column(String(16), primary_key=True)
    confirmed_at: Mapped[datetime] = created_at_column()
