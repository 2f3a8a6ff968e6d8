"""Spaces, their members and join requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column
from atoll.kit.time import utcnow

KINDS = ("unit", "community", "hybrid", "public", "situation", "practice")
# A practice space is made for its owner alone (``atoll.spaces.practice``), never started.
CREATABLE_KINDS = tuple(kind for kind in KINDS if kind != "practice")
VISIBILITIES = ("open", "private", "secret")
ROLES = ("owner", "moderator", "member")


class Space(Base):
    __tablename__ = "space"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # "How we work here": Markdown its owners and moderators write, shown to new members.
    # Its default is the database's (rows written by older code have it too), fetched back.
    guidelines: Mapped[str] = mapped_column(Text, server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16))
    # A unit space mirrors this unit (and its sub-units).
    unit_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("unit.id", ondelete="SET NULL"), index=True
    )
    closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )
    # Wiki settings (the wiki domain reads them).
    wiki_moderators_only: Mapped[bool] = mapped_column(Boolean, default=False)
    wiki_externals_may_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_space_kind_name", "kind", "name"),)
    __mapper_args__ = {"eager_defaults": True}


class Membership(Base):
    """A person in a space with a role. ``source`` "unit" rows are kept in sync with the org
    tree for unit spaces; "manual" rows come from joining, invitations and owners."""

    __tablename__ = "membership"

    space_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")
    source: Mapped[str] = mapped_column(String(8), default="manual")
    # Joined and not yet said "Got it" to the space's guidelines (``atoll.spaces.guidelines``);
    # the database's default, fetched back, as for ``Space.guidelines``.
    guidelines_due: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index("ix_membership_person_id_space_id", "person_id", "space_id"),)
    __mapper_args__ = {"eager_defaults": True}


class JoinRequest(Base):
    __tablename__ = "join_request"

    id: Mapped[int] = id_column()
    space_id: Mapped[int] = mapped_column(BigId, ForeignKey("space.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )

    __table_args__ = (
        Index("ix_join_request_space_id_status", "space_id", "status"),
        Index("ix_join_request_person_id", "person_id"),
    )
