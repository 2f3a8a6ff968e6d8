"""Request dependencies: the database session (one transaction per request) and the caller."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import activity
from atoll.config import Network, Settings, trusted_networks
from atoll.kit.errors import Forbidden, Invalid, Unauthorized
from atoll.people import auth
from atoll.people.auth import Credential
from atoll.people.models import Person
from atoll.realtime.events import newest_event_id
from atoll.web import idempotency
from atoll.web.signin import presented_secret

ANON_COOKIE = "atoll_anon"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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
        activity.committed(request.app, session)


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


async def optional_credential(request: Request, db: DB) -> Credential | None:
    """Who is calling: a bearer token first, else the session cookie.

    A cookie-authenticated unsafe API call must carry the CSRF token in X-CSRF-Token."""
    if "credential" in request.scope.get("state", {}):
        return request.state.credential
    settings = settings_of(request)
    secret, is_cookie = presented_secret(request.headers) or (None, True)
    credential = await auth.credential_for(db, settings, secret)
    if not is_cookie and credential is None:
        raise Unauthorized("The bearer token is unknown, expired or revoked.")
    if (
        is_cookie
        and credential is not None
        and request.method not in SAFE_METHODS
        and request.url.path.startswith("/api/")
        and not auth.csrf_matches(settings, credential.raw_token, request.headers.get(CSRF_HEADER))
    ):
        raise Forbidden("Missing or wrong X-CSRF-Token header for a cookie-authenticated call.")
    if credential is not None:
        await activity.note(request.app, db, credential.person.id)
        # The caller is a snapshot, detached from the transaction: a rollback (a failed
        # change) must not expire it, because the error page still shows who is signed in.
        # Changes to this person go through a freshly loaded row (access_person).
        db.expunge(credential.person)
        if request.method == "GET" and not request.url.path.startswith("/api/"):
            request.state.nav_spaces = await _nav_spaces(db, credential.person)
            # Live pages open the event stream from here: what changes after this query
            # reaches them, whatever the page shows was read after it.
            request.state.last_event_id = await newest_event_id(db)
            request.state.unread_notifications = await _unread(db, credential.person)
    request.state.credential = credential
    return credential


async def _nav_spaces(db: AsyncSession, person: Person) -> dict[str, list[tuple[str, str]]]:
    """The page shell's "My spaces", grouped as the navigation shows them: (slug, name)."""
    from atoll.spaces.service import my_spaces

    groups: dict[str, list[tuple[str, str]]] = {
        "My team": [],
        "Communities": [],
        "With customers & partners": [],
        "Situation rooms": [],
    }
    names = {
        "unit": "My team",
        "community": "Communities",
        "public": "Communities",
        "hybrid": "With customers & partners",
        "situation": "Situation rooms",
    }
    for space in await my_spaces(db, viewer=person):
        groups[names[space.kind]].append((space.slug, space.name))
    return groups


async def _unread(db: AsyncSession, person: Person) -> int:
    """The bell's number: one COUNT of the person's unread notifications."""
    from atoll.notifications.service import unread_count

    return await unread_count(db, viewer=person)


OptionalCredential = Annotated[Credential | None, Depends(optional_credential)]


async def require_credential(credential: OptionalCredential) -> Credential:
    if credential is None:
        raise Unauthorized("Sign in first.")
    return credential


async def require_person(credential: Annotated[Credential, Depends(require_credential)]) -> Person:
    return credential.person


async def optional_person(credential: OptionalCredential) -> Person | None:
    return credential.person if credential else None


CurrentCredential = Annotated[Credential, Depends(require_credential)]
Viewer = Annotated[Person, Depends(require_person)]
MaybeViewer = Annotated[Person | None, Depends(optional_person)]


async def checked_form(request: Request, credential: OptionalCredential) -> dict[str, str]:
    """The submitted form of a page, after checking its CSRF token against the session (or,
    before sign-in, the anonymous cookie). File fields are left out; read them from
    ``request.form()``."""
    form = await request.form()
    secret = credential.raw_token if credential else request.cookies.get(ANON_COOKIE)
    token = form.get("csrf_token")
    if not auth.csrf_matches(
        settings_of(request), secret, token if isinstance(token, str) else None
    ):
        raise Forbidden(
            "This form has expired or did not come from Atoll. Reload the page and try again."
        )
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    bad = next((k for k, v in fields.items() if "\x00" in v), None)
    if bad is not None:  # PostgreSQL cannot store it, and no honest form sends it
        raise Invalid.field(bad, "must not contain a NUL character")
    return fields


Form = Annotated[dict[str, str], Depends(checked_form)]


async def discard_changes(db: AsyncSession, request: Request) -> None:
    """Roll back a failed change before re-rendering its form with the error. The caller's
    person is a detached snapshot and survives; their session row is reloaded."""
    await db.rollback()
    credential = getattr(request.state, "credential", None)
    if credential is not None:
        await db.refresh(credential.auth)
