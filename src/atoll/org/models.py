"""The organisation tree: company (level 0) → division → department → team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, created_at_column, id_column


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("unit.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    # Names from the level below the root down to this unit, joined by "/"; "" for the root.
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    created_at: Mapped[datetime] = created_at_column()
