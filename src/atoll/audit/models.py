"""The audit log's one table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from atoll.db.base import Base, BigId, created_at_column, id_column


class AuditEntry(Base):
    """One action. ``actor_id`` is the person who acted (null: the system, e.g. housekeeping
    or a SCIM client, named by ``actor_label``). ``target_id`` is text because not every
    target has a number (a SCIM token's name, an import file). ``detail`` is JSON: ``before``
    and ``after`` for a change, ``note`` for a moderator's reason, and whatever else the
    action needs to be understood later. No foreign keys: the log outlives what it names."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64), default="")
    space_id: Mapped[int | None] = mapped_column(BigId)
    detail: Mapped[str] = mapped_column(Text, default="{}")

    __table_args__ = (
        Index("ix_audit_entry_at_id", "at", "id"),
        Index("ix_audit_entry_actor_id_id", "actor_id", "id"),
        Index("ix_audit_entry_action_id", "action", "id"),
        Index("ix_audit_entry_target_type_target_id", "target_type", "target_id"),
        Index("ix_audit_entry_space_id_id", "space_id", "id"),
    )


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context: object, _instances: object) -> None:
    """No ORM flush edits or deletes an entry, whatever code asks."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit entries are never edited or deleted")
