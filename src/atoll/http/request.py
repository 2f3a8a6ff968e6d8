"""The request's own plumbing: its settings, its transaction (one per request, committed
before the answer is sent), the client's address and whether cookies are Secure."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.config import Network, Settings, trusted_networks
from atoll.http import idempotency

ANON_COOKIE = "atoll_anon"
HOLDS_CLAIM = "atoll.idempotency_claim"  # session.info: its answer is stored with the change


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def _db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed after the handler returns and before the answer
    is sent (so a 2xx means durable), rolled back when the handler raises. An API write with
    an Idempotency-Key stores its answer in it (``idempotency.IdempotentRoute``)."""
    async with request.app.state.sessionmaker() as session:
        request.state.db_session = session
        if idempotency.holds_claim(request.scope):
            session.info[HOLDS_CLAIM] = True
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            idempotency.answer_rolled_back(request.scope)
            raise


async def commit_change(db: AsyncSession) -> None:
    """Commit a change before reading back what to answer, so that the write lock (SQLite)
    is held for the change alone — unless the request's answer is to be stored with the change
    (an Idempotency-Key): then they commit together, after the answer is made."""
    if not db.info.get(HOLDS_CLAIM):
        await db.commit()


DB = Annotated[AsyncSession, Depends(_db, scope="function")]
AppSettings = Annotated[Settings, Depends(settings_of)]


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure behind https: a https base URL, or a request that arrived over https
    (directly, or through a trusted proxy's X-Forwarded-Proto)."""
    return settings_of(request).secure_cookies or request.url.scheme == "https"


def client_address(request: Request) -> str:
    """The address of the client, as the sign-in throttle counts it and sessions record it:
    the peer's, unless the peer is one of ``ATOLL_TRUSTED_PROXIES`` — then the right-most
    X-Forwarded-For address that is not (what the outermost trusted proxy saw; what a client
    writes into the header itself is further left and is never read)."""
    peer = request.client.host if request.client else "unknown"
    trusted = trusted_networks(settings_of(request).trusted_proxies)
    if not trusted or not _is_in(peer, trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    for entry in reversed(forwarded.split(",")):
        host = _host_of(entry.strip())
        if host is None:  # not an address: no proxy of ours wrote it
            return peer
        if not _is_in(host, trusted):
            return host
    return peer


def _host_of(entry: str) -> str | None:
    """The address of one X-Forwarded-For entry ("192.0.2.7", "192.0.2.7:4711", "2001:db8::1",
    "[2001:db8::1]:4711"), normalised; None when it is none."""
    if entry.startswith("["):
        entry = entry[1:].split("]", 1)[0]
    elif entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def _is_in(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


async def discard_changes(db: AsyncSession, request: Request) -> None:
    """Roll back a failed change before re-rendering its form with the error. The caller's
    person is a detached snapshot and survives; their session row is reloaded."""
    await db.rollback()
    credential = getattr(request.state, "credential", None)
    if credential is not None:
        await db.refresh(credential.auth)
