"""Personal access tokens: bearer tokens a person makes for a script or an integration, with a
name, scopes and a fixed end.

Scopes are levels, each holding the one before: ``read`` (safe methods only: GET, HEAD,
OPTIONS), ``write`` (every method), ``admin`` (write, and the administrator rights of its owner
when the owner has them). They are enforced in one place, where every request learns who is
calling (``atoll.people.deps.optional_credential`` calls ``scoped``):

- an unsafe method with a token without ``write`` is refused there, 403, naming the scope;
- a token without ``admin`` acts as its owner with the role ``member``: the caller every router
  receives is a copy of the person whose ``role`` is capped, so every ``is_admin`` check of
  every domain says no, whatever router asks. A refusal that follows says the scope is missing
  (``missing_scope_note``).

Sessions and the tokens of ``POST /api/v1/auth/token`` (e-mail and password) have no scopes:
they keep their owner's full power. Personal access tokens do not slide: they end at the
``expires_at`` they were given (at most ``ATOLL_PAT_MAX_DAYS``)."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Conflict, Forbidden, Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import trail
from atoll.people.auth import PAT, Credential, Started, digest
from atoll.people.models import AuthSession, Person
from atoll.people.policy import is_admin

READ, WRITE, ADMIN = "read", "write", "admin"
SCOPES = (READ, WRITE, ADMIN)  # each holds the ones before it
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PREFIX = "atoll_pat_"  # so that secret scanners (and people) recognise one


def implied(scopes: Sequence[str]) -> tuple[str, ...]:
    """Every scope the given ones hold, in order: ["admin"] -> ("read", "write", "admin")."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise Invalid.field("scopes", f"unknown scope {unknown[0]!r}: use read, write or admin")
    if not scopes:
        raise Invalid.field("scopes", "name at least one scope: read, write or admin")
    top = max(SCOPES.index(s) for s in scopes)
    return SCOPES[: top + 1]


def scopes_of(auth: AuthSession) -> tuple[str, ...] | None:
    """A personal access token's scopes; None for a session or password token (full power)."""
    if auth.kind != PAT:
        return None
    return tuple(s for s in SCOPES if s in auth.scopes.split())


def _capped(person: Person) -> Person:
    """A copy of the person (never added to a session) that is no administrator."""
    columns = {attr.key: getattr(person, attr.key) for attr in Person.__mapper__.column_attrs}
    columns["role"] = "member"
    return Person(**columns)


def scoped(credential: Credential, method: str) -> Credential:
    """The caller as its token's scopes allow (see the module's docstring): Forbidden for an
    unsafe method without ``write``; the person capped to a member without ``admin``."""
    scopes = scopes_of(credential.auth)
    if scopes is None:
        return credential
    if method.upper() not in SAFE_METHODS and WRITE not in scopes:
        raise Forbidden(
            f'This token has the "read" scope only; {method.upper()} needs the "write" scope.'
        )
    return acting(credential)


def acting(credential: Credential) -> Credential:
    """The caller as it acts: without the ``admin`` scope, an administrator's token acts as a
    member (the person is a capped copy). Whatever checks a credential again later (the event
    streams, at each heartbeat) goes through this too."""
    scopes = scopes_of(credential.auth)
    if scopes is not None and ADMIN not in scopes and is_admin(credential.person):
        return dataclasses.replace(credential, person=_capped(credential.person), capped=True)
    return credential


def missing_scope_note(credential: Credential | None) -> str:
    """What a refusal adds when the caller's token lacks the ``admin`` scope that its owner's
    role would have needed; "" otherwise."""
    if credential is not None and credential.capped:
        return (
            ' The token in use has no "admin" scope, so its owner\'s administrator rights do'
            " not apply to it."
        )
    return ""


async def do_create_token(
    session: AsyncSession,
    settings: Settings,
    *,
    credential: Credential,
    name: str,
    scopes: Sequence[str],
    expires_in_days: int | None,
    now: datetime | None = None,
) -> Started:
    """Make a personal access token for the caller. Only an administrator may give it
    ``admin``, and a token may not make one with more scopes than its own. A person has at
    most ``ATOLL_TOKENS_PER_PERSON`` live ones: beyond that, 409 (revoke one first)."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid.field("name", "must be 1 to 100 characters")
    held = implied(scopes)
    days = settings.pat_max_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.pat_max_days:
        raise Invalid.field(
            "expires_in_days", f"must be between 1 and {settings.pat_max_days} (or null)"
        )
    own = scopes_of(credential.auth)
    if own is not None and not set(held) <= set(own):
        raise Forbidden("A token cannot make a token with more scopes than its own.")
    if ADMIN in held and not is_admin(credential.person):
        raise Forbidden('Only administrators may make a token with the "admin" scope.')
    person_id = credential.person.id
    await session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    live = await session.scalar(
        select(func.count()).where(
            AuthSession.person_id == person_id,
            AuthSession.kind == PAT,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )
    if (live or 0) >= settings.tokens_per_person:
        raise Conflict(
            f"You have {live} personal access tokens, the most allowed; revoke one first."
        )
    raw = PREFIX + secrets.token_urlsafe(32)
    auth = AuthSession(
        token_hash=digest(raw),
        person_id=person_id,
        kind=PAT,
        name=name,
        scopes=" ".join(held),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(auth)
    await session.flush()
    _record_created(session, credential.person, auth)
    return Started(secret=raw, auth=auth)


def _record_created(session: AsyncSession, person: Person, auth: AuthSession) -> None:
    trail.record_person(
        session,
        actor=person,
        action="token.created",
        person=person,
        session_id=auth.id,
        name=auth.name,
        scopes=auth.scopes.split(),
        expires_at=auth.expires_at,
    )
