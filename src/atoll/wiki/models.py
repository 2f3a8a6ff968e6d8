"""Wiki pages, their revisions, the links between them and the redirects left by renames.

The page row carries the current title and body, so reading a page never rebuilds it from its
history; every save also writes a full revision row (history, diffs and restore read those)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column
from atoll.kit.time import utcnow


class WikiPage(Base):
    __tablename__ = "wiki_page"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(220))
    title: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("wiki_page.id", ondelete="SET NULL"), index=True
    )
    # The current revision, denormalised: number, Markdown and rendered HTML.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    # A deleted page keeps its history and can be brought back.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Locked to the space's owners and moderators (and administrators). No foreign key on who
    # locked it: the column was added to a table others reference with ON DELETE CASCADE,
    # which SQLite could only do by rebuilding it.
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_by_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        UniqueConstraint("space_id", "slug"),
        Index("ix_wiki_page_space_id_title", "space_id", "title"),
    )


class WikiRevision(Base):
    """One save of a page: the whole title and body as they were after it."""

    __tablename__ = "wiki_revision"

    id: Mapped[int] = id_column()
    page_id: Mapped[int] = mapped_column(BigId, ForeignKey("wiki_page.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    # Set when this revision restored an earlier one.
    restored_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("page_id", "number"),
        # A page's distinct editors (the interactions of a save) from the index alone.
        Index("ix_wiki_revision_page_id_author_id", "page_id", "author_id"),
    )


class WikiLink(Base):
    """A ``[[Title]]`` link from a page to a page of the same space, by the target's slug —
    whether that page exists yet or not (red links, "linked from")."""

    __tablename__ = "wiki_link"

    page_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("wiki_page.id", ondelete="CASCADE"), primary_key=True
    )
    target_slug: Mapped[str] = mapped_column(String(220), primary_key=True)
    space_id: Mapped[int] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))

    __table_args__ = (Index("ix_wiki_link_space_id_target_slug", "space_id", "target_slug"),)


class WikiRedirect(Base):
    """An old slug of a renamed page, so old links keep working."""

    __tablename__ = "wiki_redirect"

    space_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(220), primary_key=True)
    page_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("wiki_page.id", ondelete="CASCADE"), index=True
    )
