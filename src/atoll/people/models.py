"""Persons, the units they sit in, their skills, sign-in sessions and API tokens, and sign-in
attempt counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from atoll.db.base import Base, BigId, UtcDateTime, created_at_column, id_column
from atoll.kit.time import utcnow

KINDS = ("member", "external")
# Platform roles. A moderator handles reports and moderates content in every space they can
# read (atoll.governance); an administrator does that and administers the platform.
ROLES = ("admin", "moderator", "member", "guest")
RELATIONS = ("customer", "partner", "public")


class Unit(Base):
    """A unit of the organisation tree: company (level 0) → division → department → team.

    The table is the org domain's (``atoll.org`` grows the tree, imports the chart, shows
    it); it is defined here, with the people, because a person's ``unit_id`` points at it and
    the people layer sits below org: people read where someone sits without importing upward.
    """

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


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default="member")
    role: Mapped[str] = mapped_column(String(16), default="member")
    unit_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("unit.id", ondelete="SET NULL"), index=True
    )
    # Reporting line: the id of the person this one reports to (null: nobody). The org domain
    # sets it (the importer's ``manager`` column) and refuses cycles. No foreign key: SQLite
    # can only add one by rebuilding this table, and dropping the old table inside the
    # migration's transaction (foreign keys on) would cascade to every row that refers to a
    # person. People are never deleted (they are deactivated), and readers treat an id that
    # names nobody as no manager.
    manager_id: Mapped[int | None] = mapped_column(BigId, index=True)
    organization: Mapped[str | None] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # May open Analytics without being an administrator.
    is_analyst: Mapped[bool] = mapped_column(Boolean, default=False)
    # Suspended by a moderator until then (atoll.governance): no sign-in, no session or token
    # works (``policy.is_suspended``). Null: not suspended. Added in place (no table rebuild).
    suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "I'm happy to coach others": may be named among the champions on the analytics page
    # (atoll.analytics.champions). Added in place (no table rebuild).
    coach_opt_in: Mapped[bool] = mapped_column(Boolean, server_default=false())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_person_name", "name"),)


class PersonSkill(Base):
    __tablename__ = "person_skill"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Lower-cased copy so that "search by skill" is an indexed equality or prefix match.
    key: Mapped[str] = mapped_column(String(100), index=True)


class AuthSession(Base):
    """A browser sign-in (kind "session") or an API bearer token (kind "token").

    Only a SHA-256 of the secret is stored, so a leaked table signs nobody in."""

    __tablename__ = "auth_session"

    id: Mapped[int] = id_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Sessions and tokens both expire after days of idleness (ATOLL_SESSION_DAYS, _TOKEN_DAYS);
    # each use moves it on.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    # Personal access tokens (kind "pat"): the name their owner gave and their scopes, e.g.
    # "read write" (``atoll.people.tokens``); empty for sessions and password tokens.
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    scopes: Mapped[str] = mapped_column(String(32), default="", server_default="")


class SignInCounter(Base):
    """Sign-in attempts counted under one key (see ``atoll.people.throttle``): ``count`` of them
    since ``started_at``, the start of the key's window."""

    __tablename__ = "sign_in_counter"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)


class TotpSecret(Base):
    """A person's TOTP second factor (``atoll.people.totp``): the shared secret, encrypted with
    a key derived from the server's secret key; on once ``confirmed_at`` is set (a setup in
    progress has none). ``last_step`` is the newest 30-second step a code was accepted for:
    a code of that step or an older one is refused, so no code works twice."""

    __tablename__ = "totp_secret"

    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = created_at_column()


class RecoveryCode(Base):
    """A single-use recovery code for signing in without the authenticator app: only a
    SHA-256 of it is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = id_column()
    person_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
