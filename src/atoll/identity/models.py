"""Single sign-on's tables: which person an identity provider's account signs in as, and the
one-time things (OIDC states, SAML assertion ids) already used, kept until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column


class SsoLink(Base):
    """An account at an identity provider (``issuer``: the OIDC issuer or the SAML IdP's
    entity id; ``subject``: its stable id there) and the person it signs in as."""

    __tablename__ = "sso_link"

    id: Mapped[int] = id_column()
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("issuer", "subject"),)


class SsoUsed(Base):
    """A one-time value already used (``oidc:<state>``, ``saml:<assertion id>``): a second
    use is a replay. Kept until ``expires_at``, after which the value is refused anyway."""

    __tablename__ = "sso_used"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
