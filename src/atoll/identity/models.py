"""Identity's tables. Single-use links: password resets and invitations (only a SHA-256 of each
link's secret is stored, so a leaked table opens nothing). Single sign-on: which person an
identity provider's account signs in as, and the one-time things (OIDC states, SAML assertion
ids) already used, kept until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column


class PasswordReset(Base):
    """A link that sets a new password, e-mailed on request: valid one hour, used once; a
    successful reset spends every other open link of the person too."""

    __tablename__ = "password_reset"

    id: Mapped[int] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Invitation(Base):
    """An invitation to join the organisation (a member, or an external with their
    organisation and relation), possibly straight into some spaces. Its link is single-use and
    expires; it may be resent (a new link, the old one dead) or revoked while pending."""

    __tablename__ = "invitation"

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    organization: Mapped[str | None] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("unit.id", ondelete="SET NULL"))
    inviter_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    person_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="SET NULL")
    )

    __table_args__ = (Index("ix_invitation_email", "email"),)


class InvitationSpace(Base):
    """A space the invited person joins when they accept."""

    __tablename__ = "invitation_space"

    invitation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("space.id", ondelete="CASCADE"), primary_key=True, index=True
    )


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
