"""Reports: someone asks the moderators to look at a post, a comment, a wiki page or a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column

TARGET_TYPES = ("post", "comment", "wiki_page", "person")
REASONS = ("spam", "harassment", "off_topic", "confidential", "other")
ACTIONS = ("dismiss", "hide", "delete", "warn", "suspend")


class Report(Base):
    """One person's report of one target. Reports on the same target are handled together:
    resolving one resolves every open report on it (``action``, ``note``, who and when).

    ``space_id`` is the space of the content (null for a person), so the moderation queue
    filters with the spaces' read rule in SQL; ``author_id`` is whoever wrote the content (or
    the person reported), told of the outcome. ``target_id`` has no foreign key: it names a
    row of one of four tables."""

    __tablename__ = "report"

    id: Mapped[int] = id_column()
    reporter_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(BigId)
    space_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("space.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    action: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_report_target_type_target_id", "target_type", "target_id"),
        Index("ix_report_resolved_at_id", "resolved_at", "id"),
    )
