"""The interaction log: one row per act of collaboration, with both sides as they were then.

Written in the same transaction as the change it records; the value matrix, the network
measures and adoption figures are computed from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, id_column
from atoll.kit.time import utcnow

INTERACTION_KINDS = (
    "post",
    "comment",
    "reply",
    "reaction",
    "mention",
    "accept",
    "vote",
    "wiki_edit",
)


class Interaction(Base):
    __tablename__ = "interaction"

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    # Toward whom: the person answered, reacted to or mentioned; None for a new post (the
    # space is the audience).
    target_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE")
    )
    space_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("space.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(BigId)
    # Each side at that moment: unit, silo (the unit's ancestor at the silo level), kind and,
    # for externals, organisation.
    actor_unit_id: Mapped[int | None] = mapped_column(BigId)
    actor_silo_id: Mapped[int | None] = mapped_column(BigId)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_organization: Mapped[str | None] = mapped_column(String(200))
    target_unit_id: Mapped[int | None] = mapped_column(BigId)
    target_silo_id: Mapped[int | None] = mapped_column(BigId)
    target_kind: Mapped[str | None] = mapped_column(String(16))
    target_organization: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_interaction_at", "at"),
        Index("ix_interaction_actor_id_target_id_at", "actor_id", "target_id", "at"),
        Index("ix_interaction_space_id_at", "space_id", "at"),
    )
