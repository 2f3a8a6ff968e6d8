"""Sign-in: credentials, the throttle in front of them, sessions and bearer tokens that expire
and can be revoked, CSRF tokens.

Browser sessions (``ATOLL_SESSION_DAYS``) and API tokens (``ATOLL_TOKEN_DAYS``) both end after
that many days without use; each use moves the end on. A person has at most
``ATOLL_TOKENS_PER_PERSON`` live tokens, and as many browser sessions: signing in beyond that
revokes the least recently used one. Personal access tokens (kind "pat",
``atoll.people.tokens``) are made apart, with scopes and a fixed end. Every revocation
records ``access.changed`` for the person (``atoll.people.events``), so their open event
streams, on every server, check their sign-in at once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Forbidden, Invalid, NotFound
from atoll.kit.ids import parse_id
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import throttle, trail
from atoll.people.events import access_changed
from atoll.people.models import AuthSession, Person
from atoll.people.passwords import Hashing, check_password
from atoll.people.policy import is_suspended, suspended_message

SESSION = "session"
TOKEN = "token"
PAT = "pat"  # a personal access token (``atoll.people.tokens``): scoped, and it does not slide
# A session's last_seen_at (and expiry) is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=10)
REVOKED = "revoked"  # the reason of the access.changed event a revocation records


def lifetime(settings: Settings, kind: str) -> timedelta:
    """How long a session or token lives unused."""
    return timedelta(days=settings.session_days if kind == SESSION else settings.token_days)


@dataclass(frozen=True)
class Credential:
    """A signed-in caller: the person and the session or token row that proved it."""

    person: Person
    auth: AuthSession
    raw_token: str
    # The person is a copy capped to a member: a token without the "admin" scope
    # (``atoll.people.tokens.scoped``).
    capped: bool = False


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def do_sign_in(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str,
    now: datetime | None = None,
) -> Person | None:
    """The person whose e-mail and password these are, or None; RateLimited when the throttle
    (``atoll.people.throttle``) refuses the attempt.

    Unlike other use cases this one commits, twice: the attempt is counted and committed
    *before* its password is checked, so that it counts while argon2 runs and no lock is held
    that long; and a failure is committed as settled although the answer is an error. A
    refused attempt raises before anything is written (roll back: it counts for nothing).

    The password is checked in the password pool, off the event loop. An unknown e-mail, a
    person without a password, an inactive person and a wrong password take the same path and
    the same time. With ``ATOLL_SSO_ONLY`` a member's right password is Forbidden: members
    sign in through single sign-on; externals keep their passwords."""
    attempt = await throttle.do_count_attempt(
        session, settings, email=email, address=address, now=now or utcnow()
    )
    await session.commit()
    person = (
        await session.execute(select(Person).where(Person.email == attempt.email))
    ).scalar_one_or_none()
    hashing = Hashing.of(settings)
    ok = await hashing.verify(person.password_hash if person else None, password)
    if not ok or person is None or not person.is_active:
        await throttle.do_settle(session, attempt=attempt, succeeded=False)
        await session.commit()
        return None
    if person.password_hash and hashing.needs_rehash(person.password_hash):
        person.password_hash = await hashing.rehash(password)
    await throttle.do_settle(session, attempt=attempt, succeeded=True)
    if settings.sso_only and person.kind == "member":
        await session.commit()  # the right password was given: it counts as settled
        raise Forbidden(sso_only_message(settings))
    if is_suspended(person, now or utcnow()):
        await session.commit()  # the right password was given: it counts as settled
        raise Forbidden(suspended_message(person))
    return person


def sso_only_message(settings: Settings) -> str:
    """What a member who tries a password is told when ``ATOLL_SSO_ONLY`` is on."""
    return (
        f"Members sign in with {settings.oidc_provider_name}, not with a password "
        "(only external guests use passwords here)."
    )


@dataclass(frozen=True)
class Started:
    """A new session or token: its secret (shown once) and its row."""

    secret: str
    auth: AuthSession


async def do_start_session(
    session: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    kind: str,
    user_agent: str = "",
    address: str = "",
    now: datetime | None = None,
) -> Started:
    """Create a new session (browser) or token (API); when the person already has
    ``ATOLL_TOKENS_PER_PERSON`` live ones of that kind, the least recently used go. Every
    way of signing in ends here: a suspended person is Forbidden, whatever the way."""
    now = now or utcnow()
    if is_suspended(person, now):
        raise Forbidden(suspended_message(person))
    await _make_room(session, settings, person_id=person.id, kind=kind, now=now)
    raw = secrets.token_urlsafe(32)
    auth = AuthSession(
        token_hash=digest(raw),
        person_id=person.id,
        kind=kind,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime(settings, kind),
        user_agent=user_agent[:300],
        address=address[:64],
    )
    session.add(auth)
    await session.flush()
    return Started(secret=raw, auth=auth)


async def _make_room(
    session: AsyncSession, settings: Settings, *, person_id: int, kind: str, now: datetime
) -> None:
    """Revoke the least recently used live sessions (or tokens) of a person beyond the newest
    ``ATOLL_TOKENS_PER_PERSON`` - 1. The person's row is locked first (PostgreSQL), so two
    sign-ins at once cannot both find room for one."""
    await session.execute(select(Person.id).where(Person.id == person_id).with_for_update())
    beyond = (
        select(AuthSession.id)
        .where(
            AuthSession.person_id == person_id,
            AuthSession.kind == kind,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
        .offset(settings.tokens_per_person - 1)
    )
    stale = list((await session.execute(beyond)).scalars())
    if stale:
        await session.execute(
            update(AuthSession).where(AuthSession.id.in_(stale)).values(revoked_at=now)
        )
        await access_changed(session, person_id=person_id, reason=REVOKED)


# Built once (every request runs it): the unrevoked sessions and tokens of ``:digests``.
_CREDENTIALS = (
    select(AuthSession, Person)
    .join(Person, Person.id == AuthSession.person_id)
    .where(
        AuthSession.token_hash.in_(bindparam("digests", expanding=True)),
        AuthSession.revoked_at.is_(None),
    )
)


async def credential_for(
    session: AsyncSession, settings: Settings, raw: str | None, *, now: datetime | None = None
) -> Credential | None:
    """The live session or token behind a secret; None when unknown, revoked or expired."""
    if not raw:
        return None
    return (await credentials_for(session, settings, [raw], now=now)).get(raw)


async def credentials_for(
    session: AsyncSession,
    settings: Settings,
    raws: Sequence[str],
    *,
    now: datetime | None = None,
) -> dict[str, Credential]:
    """``credential_for`` for many secrets in one query (the heartbeats of the event streams):
    the live credentials by secret; unknown, revoked or expired secrets are left out."""
    digests = {digest(raw): raw for raw in raws if raw and len(raw) <= 200}
    if not digests:
        return {}
    now = now or utcnow()
    rows = await session.execute(_CREDENTIALS, {"digests": list(digests)})
    found = {}
    for auth, person in rows.tuples():
        credential = _live(settings, auth, person, digests[auth.token_hash], now=now)
        if credential is not None:
            found[credential.raw_token] = credential
    return found


def _live(
    settings: Settings, auth: AuthSession, person: Person, raw: str, *, now: datetime
) -> Credential | None:
    """The credential if its session or token has not expired and its person is active (and
    not suspended). A
    used one slides: its end moves on (written at most every ``TOUCH_EVERY``), but for a
    personal access token, which ends when it was told to."""
    if auth.expires_at <= now or not person.is_active or is_suspended(person, now):
        return None
    if now - auth.last_seen_at > TOUCH_EVERY:
        auth.last_seen_at = now
        if auth.kind != PAT:
            auth.expires_at = now + lifetime(settings, auth.kind)
    return Credential(person=person, auth=auth, raw_token=raw)


async def do_revoke(session: AsyncSession, *, auth: AuthSession) -> None:
    """Sign out one session or token (sign-out, logout)."""
    if auth.revoked_at is None:
        auth.revoked_at = utcnow()
        await access_changed(session, person_id=auth.person_id, reason=REVOKED)
    await session.flush()


async def do_revoke_all(session: AsyncSession, *, person: Person) -> None:
    """Sign a person out everywhere (after a password reset, or when they are deactivated)."""
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.person_id == person.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if getattr(result, "rowcount", 0):
        await access_changed(session, person_id=person.id, reason=REVOKED)


async def live_sessions(
    session: AsyncSession, *, person: Person, now: datetime | None = None
) -> list[AuthSession]:
    """A person's sessions and tokens that still work, most recently used first."""
    rows = await session.execute(
        select(AuthSession)
        .where(
            AuthSession.person_id == person.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > (now or utcnow()),
        )
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
        .limit(200)
    )
    return list(rows.scalars())


async def do_revoke_own(session: AsyncSession, *, person: Person, auth_id: int | str) -> None:
    """Revoke one of the person's own sessions or tokens; someone else's is NotFound."""
    row_id = parse_id(auth_id)
    row = await session.get(AuthSession, row_id) if row_id is not None else None
    if row is None or row.person_id != person.id:
        raise NotFound("No such session.")
    if row.revoked_at is None:
        trail.record_person(
            session,
            actor=person,
            action="token.revoked" if row.kind == PAT else "session.revoked",
            person=person,
            session_id=row.id,
            name=row.name,
        )
    await do_revoke(session, auth=row)


async def do_revoke_others(session: AsyncSession, *, person: Person, keep: AuthSession) -> int:
    """Sign out everywhere else: every other session and token of the person (an audit
    entry, ``person.signed_out_elsewhere``)."""
    revoked = await _revoke_others(session, person=person, keep=keep)
    trail.record_person(
        session, actor=person, action="person.signed_out_elsewhere", person=person, revoked=revoked
    )
    return revoked


async def _revoke_others(session: AsyncSession, *, person: Person, keep: AuthSession) -> int:
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.person_id == person.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.id != keep.id,
        )
        .values(revoked_at=utcnow())
    )
    revoked = int(getattr(result, "rowcount", 0) or 0)
    if revoked:
        await access_changed(session, person_id=person.id, reason=REVOKED)
    return revoked


async def do_change_password(
    session: AsyncSession,
    settings: Settings,
    *,
    credential: Credential,
    current: str,
    new: str,
    address: str,
) -> int:
    """Change the caller's own password and sign out every other session and token of theirs;
    how many were signed out.

    The current password is checked as a sign-in is (``do_sign_in``): the attempt counts on
    the throttle and is committed before argon2 runs, so a stolen session cannot guess the
    password faster than the sign-in form. A new password that breaks the rules is refused
    before anything is counted. Under ``ATOLL_SSO_ONLY`` a member has no password to change
    (Forbidden): they sign in through single sign-on."""
    if settings.sso_only and credential.person.kind == "member":
        raise Forbidden(sso_only_message(settings))
    check_password(new, "new_password")
    if new == current:
        raise Invalid.field("new_password", "must differ from your current password")
    person = credential.person
    attempt = await throttle.do_count_attempt(
        session, settings, email=person.email, address=address, now=utcnow()
    )
    await session.commit()
    hashing = Hashing.of(settings)
    stored = await session.scalar(select(Person.password_hash).where(Person.id == person.id))
    matches = await hashing.verify(stored, current)
    await throttle.do_settle(session, attempt=attempt, succeeded=matches)
    if not matches:
        await session.commit()  # the failure counts although the answer is an error
        raise Invalid.field("current_password", "is not your current password")
    await session.execute(
        update(Person).where(Person.id == person.id).values(password_hash=await hashing.hash(new))
    )
    trail.record_person(session, actor=person, action="person.password_changed", person=person)
    return await _revoke_others(session, person=person, keep=credential.auth)
