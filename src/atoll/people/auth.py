"""Sign-in: credentials, rate limiting, revocable sessions and bearer tokens, CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.config import Settings
from atoll.kit.errors import NotFound, RateLimited
from atoll.kit.ids import parse_id
from atoll.kit.time import utcnow
from atoll.people import passwords
from atoll.people.models import AuthSession, LoginFailure, Person

SESSION = "session"
TOKEN = "token"
# A session's last_seen_at (and expiry) is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Credential:
    """A signed-in caller: the person and the session or token row that proved it."""

    person: Person
    auth: AuthSession
    raw_token: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def csrf_token_for(settings: Settings, secret: str) -> str:
    """The CSRF token bound to a session secret (or an anonymous cookie before sign-in)."""
    return hmac.new(settings.signing_key, b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def csrf_matches(settings: Settings, secret: str | None, token: str | None) -> bool:
    if not secret or not token:
        return False
    return hmac.compare_digest(csrf_token_for(settings, secret), token)


def _limit_keys(email: str, address: str) -> tuple[str, str]:
    # Cut to the longest e-mail address: a few letters grow when lower-cased (İ becomes i̇),
    # and the key column holds 400 characters.
    return f"account:{email.strip().lower()[:320]}", f"address:{address}"


async def check_rate_limit(
    session: AsyncSession, settings: Settings, *, email: str, address: str
) -> None:
    """Raise RateLimited when the account or the client address failed too often lately."""
    now = utcnow()
    since = now - timedelta(seconds=settings.login_window_seconds)
    account_key, address_key = _limit_keys(email, address)
    for key, allowed in (
        (account_key, settings.login_max_failures_account),
        (address_key, settings.login_max_failures_address),
    ):
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(LoginFailure.at)).where(
                    LoginFailure.key == key, LoginFailure.at > since
                )
            )
        ).one()
        if count >= allowed:
            retry = oldest + timedelta(seconds=settings.login_window_seconds) - now
            raise RateLimited(
                "Too many failed sign-in attempts. Please wait and try again.",
                retry_after=int(retry.total_seconds()) + 1,
            )


async def check_credentials(
    session: AsyncSession, settings: Settings, *, email: str, password: str, address: str
) -> Person | None:
    """The person these credentials belong to, or None (after recording the failure).

    The password is checked in the password pool, off the event loop. An unknown e-mail and a
    wrong password take the same path and the same time."""
    await check_rate_limit(session, settings, email=email, address=address)
    person = (
        await session.execute(select(Person).where(Person.email == email.strip().lower()))
    ).scalar_one_or_none()
    ok = await passwords.verify_password(person.password_hash if person else None, password)
    account_key, address_key = _limit_keys(email, address)
    if not ok or person is None or not person.is_active:
        now = utcnow()
        # Forget failures that fell out of the window, so the table stays small.
        await session.execute(
            delete(LoginFailure).where(
                LoginFailure.key.in_([account_key, address_key]),
                LoginFailure.at <= now - timedelta(seconds=settings.login_window_seconds),
            )
        )
        session.add_all(
            [LoginFailure(key=account_key, at=now), LoginFailure(key=address_key, at=now)]
        )
        await session.flush()
        return None
    await session.execute(delete(LoginFailure).where(LoginFailure.key == account_key))
    if person.password_hash and passwords.needs_rehash(person.password_hash):
        person.password_hash = await passwords.rehash(password)
    return person


async def do_start_session(
    session: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    kind: str,
    user_agent: str = "",
    address: str = "",
) -> str:
    """Create a new session (browser) or token (API) and return its secret, shown once."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=_digest(raw),
            person_id=person.id,
            kind=kind,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=settings.session_days) if kind == SESSION else None,
            user_agent=user_agent[:300],
            address=address[:64],
        )
    )
    await session.flush()
    return raw


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
    session: AsyncSession, settings: Settings, raw: str | None
) -> Credential | None:
    """The live session or token behind a secret; None when unknown, revoked or expired."""
    if not raw:
        return None
    return (await credentials_for(session, settings, [raw])).get(raw)


async def credentials_for(
    session: AsyncSession, settings: Settings, raws: Sequence[str]
) -> dict[str, Credential]:
    """``credential_for`` for many secrets in one query (the heartbeats of the event streams):
    the live credentials by secret; unknown, revoked or expired secrets are left out."""
    digests = {_digest(raw): raw for raw in raws if raw and len(raw) <= 200}
    if not digests:
        return {}
    rows = await session.execute(_CREDENTIALS, {"digests": list(digests)})
    found = {}
    for auth, person in rows.tuples():
        credential = _live(settings, auth, person, digests[auth.token_hash])
        if credential is not None:
            found[credential.raw_token] = credential
    return found


def _live(settings: Settings, auth: AuthSession, person: Person, raw: str) -> Credential | None:
    """The credential if its session or token has not expired and its person is active;
    a used session slides (touched at most every ``TOUCH_EVERY``)."""
    now = utcnow()
    if (auth.expires_at is not None and auth.expires_at <= now) or not person.is_active:
        return None
    if now - auth.last_seen_at > TOUCH_EVERY:
        auth.last_seen_at = now
        if auth.expires_at is not None:  # sessions slide; they end after days of idleness
            auth.expires_at = now + timedelta(days=settings.session_days)
    return Credential(person=person, auth=auth, raw_token=raw)


async def do_revoke(session: AsyncSession, *, auth: AuthSession) -> None:
    auth.revoked_at = utcnow()
    await session.flush()


async def do_revoke_all(session: AsyncSession, *, person: Person) -> None:
    """Sign a person out everywhere (after a password reset, or when they are deactivated)."""
    await session.execute(
        update(AuthSession)
        .where(AuthSession.person_id == person.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def live_sessions(session: AsyncSession, *, person: Person) -> list[AuthSession]:
    """A person's sessions and tokens that still work, most recently used first."""
    now = utcnow()
    rows = await session.execute(
        select(AuthSession)
        .where(
            AuthSession.person_id == person.id,
            AuthSession.revoked_at.is_(None),
            (AuthSession.expires_at.is_(None)) | (AuthSession.expires_at > now),
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
        row.revoked_at = utcnow()
    await session.flush()


async def do_revoke_others(session: AsyncSession, *, person: Person, keep: AuthSession) -> int:
    """Sign out everywhere else: every other session and token of the person."""
    result = await session.execute(
        update(AuthSession)
        .where(
            AuthSession.person_id == person.id,
            AuthSession.revoked_at.is_(None),
            AuthSession.id != keep.id,
        )
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
