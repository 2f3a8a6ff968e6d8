"""Identity's tables. Single-use links: password resets and invitations (only a SHA-256 of each
link's secret is stored, so a leaked table opens nothing). Single sign-on: which person an
identity provider's account signs in as, and the one-time things (OIDC states, SAML assertion
ids) already used, kept until they expire. SCIM provisioning: the bearer tokens a
provisioning client presents, and what a client said about a person (a SCIM User) or a unit
(a SCIM Group) that Atoll's own tables do not keep; the person and the unit stay the truth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
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
