"""One-time values of single sign-on, kept in ``sso_used`` until they expire: the OIDC states
and SAML assertion ids used (a second use is a replay), and the SAML requests sent and not
yet answered (an answer must name one, once)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import SsoUsed
from atoll.identity.oidc import SignInFailed
from atoll.kit.time import utcnow


async def _forget_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(SsoUsed).where(SsoUsed.expires_at < now))


async def do_remember(session: AsyncSession, *, key: str, expires_at: datetime) -> None:
    """Keep a value until it expires (a SAML request sent, waiting for its answer)."""
    now = utcnow()
    await _forget_expired(session, now)
    session.add(SsoUsed(key=key[:300], expires_at=max(expires_at, now + timedelta(seconds=1))))
    await session.flush()


async def do_consume(session: AsyncSession, *, key: str) -> bool:
    """Take a remembered value that has not expired; False when there is none (never sent,
    answered already, or too old)."""
    now = utcnow()
    gone = await session.execute(
        delete(SsoUsed).where(SsoUsed.key == key[:300], SsoUsed.expires_at >= now)
    )
    return bool(getattr(gone, "rowcount", 0))


async def do_use_once(session: AsyncSession, *, key: str, expires_at: datetime) -> None:
    """Remember a one-time value (an OIDC state, a SAML assertion id) until it expires;
    SignInFailed when it was used before. Values past their expiry are forgotten here."""
    now = utcnow()
    await _forget_expired(session, now)
    if await session.get(SsoUsed, key[:300]) is not None:
        raise SignInFailed(
            "This sign-in answer was used already (a replay). Start again from the sign-in page."
        )
    session.add(SsoUsed(key=key[:300], expires_at=max(expires_at, now + timedelta(seconds=1))))
    await session.flush()
