"""The event log: every change writes one row in its own transaction (transactional outbox).

Events with ``space_id`` are for the readers of that space; events with ``person_id`` are for
that person only (e.g. a notification)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, created_at_column, id_column


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = id_column()
    created_at: Mapped[datetime] = created_at_column()
    type: Mapped[str] = mapped_column(String(40))
    space_id: Mapped[int | None] = mapped_column(BigId)
    person_id: Mapped[int | None] = mapped_column(BigId)
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON

    __table_args__ = (
        Index("ix_event_created_at", "created_at"),
        Index("ix_event_space_id_id", "space_id", "id"),
        Index("ix_event_person_id_id", "person_id", "id"),
    )
