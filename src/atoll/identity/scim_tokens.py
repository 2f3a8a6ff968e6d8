"""The bearer tokens of SCIM provisioning clients: made by ``atoll scim-token``, shown once,
stored as a SHA-256 only. Several may work at once, so a token is rotated by making a new one,
giving it to the client, then revoking the old one."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import record_audit
from atoll.kit.errors import NotFound
from atoll.kit.time import utcnow

from .models import ScimToken

PREFIX = "scim_"
COMMAND_LINE = "command line"  # who makes and revokes tokens, in the audit log


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def do_create_token(session: AsyncSession, *, name: str = "") -> tuple[ScimToken, str]:
    """A new token and its secret (the only time the secret exists outside the client)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ScimToken(token_hash=_digest(raw), name=name.strip()[:200])
    session.add(token)
    await session.flush()
    record_audit(
        session,
        actor_id=None,
        actor_label=COMMAND_LINE,
        action="scim_token.created",
        target_type="scim_token",
        target_id=token.id,
        name=token.name,
    )
    return token, raw


def label_of(token: ScimToken) -> str:
    """Who acts, in the audit log, when a SCIM client does."""
    return f"SCIM token {token.name or token.id}"


async def all_tokens(session: AsyncSession) -> list[ScimToken]:
    return list((await session.execute(select(ScimToken).order_by(ScimToken.id))).scalars())


async def do_revoke_token(session: AsyncSession, *, token_id: int | None) -> int:
    """Revoke one token (by id) or, with None, every token; the number revoked."""
    stmt = update(ScimToken).where(ScimToken.revoked_at.is_(None))
    if token_id is not None:
        stmt = stmt.where(ScimToken.id == token_id)
    result = await session.execute(
        stmt.values(revoked_at=utcnow()).returning(ScimToken.id, ScimToken.name)
    )
    revoked = result.all()
    if token_id is not None and not revoked:
        raise NotFound(f"No working SCIM token has the id {token_id}.")
    for revoked_id, name in revoked:
        record_audit(
            session,
            actor_id=None,
            actor_label=COMMAND_LINE,
            action="scim_token.revoked",
            target_type="scim_token",
            target_id=revoked_id,
            name=name,
        )
    return len(revoked)


async def token_for(session: AsyncSession, raw: str) -> ScimToken | None:
    """The working token a client presented, or None."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    token = (
        await session.execute(
            select(ScimToken).where(ScimToken.token_hash == digest, ScimToken.revoked_at.is_(None))
        )
    ).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token
