"""SCIM provisioning's own rows: the bearer tokens a provisioning client presents, and what a
client said about a person (a SCIM User) or a unit (a SCIM Group) that Atoll's own tables do
not keep. The person and the unit stay the truth; these rows only add to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column


class ScimToken(Base):
    """A bearer token of a provisioning client (``atoll scim-token``). Only a SHA-256 of the
    secret is stored; a revoked token stays listed, marked revoked."""

    __tablename__ = "scim_token"

    id: Mapped[int] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ScimUser(Base):
    """A person as a provisioning client named them. A person without this row answers with
    defaults (userName = e-mail, displayName = name); the first SCIM write makes the row."""

    __tablename__ = "scim_user"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(String(320))
    # userName is not case-sensitive (RFC 7643 §4.1.1): its lower-cased copy is unique.
    user_name_key: Mapped[str] = mapped_column(String(320), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(320), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    name_formatted: Mapped[str | None] = mapped_column(String(200))
    given_name: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    email_type: Mapped[str | None] = mapped_column(String(16))
    email_primary: Mapped[bool | None] = mapped_column(Boolean)
    # Set by a SCIM DELETE: the person is deactivated and kept with their content, and the
    # User is gone for the client (404) until a POST with their userName or e-mail brings
    # them back.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ScimGroup(Base):
    """What a provisioning client said about a unit beyond its name: its externalId."""

    __tablename__ = "scim_group"

    unit_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    external_id: Mapped[str | None] = mapped_column(String(320), index=True)
