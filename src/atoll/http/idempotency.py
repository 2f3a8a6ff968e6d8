"""Idempotent writes: an API write sent with ``Idempotency-Key`` is done once; a retry with the
same key (same caller, same request) gets the first answer back and changes nothing.

How
---
1. **Claim.** The middleware claims the key in a committed row of its own (``status`` empty,
   a random ``claim`` token, ``created_at`` the time of the claim) before the write runs, so
   two concurrent retries cannot both run: the second gets 409 "in progress".
2. **Store with the write.** The API routes are ``IdempotentRoute``s: once the endpoint has
   made its answer (below 500), and before the request's transaction (``deps._db``) commits,
   the answer is written into that same transaction — by an UPDATE that holds only while the
   row still carries this request's claim token. The answer leaves after the commit, so a
   client that retries the moment it has its answer gets that answer back; and a write whose
   claim was taken over (below) is rolled back and answered 409.
3. **Errors.** An error raised as an exception (4xx) rolls the write back; the middleware
   stores its answer (on the same claim condition) before sending it. A 5xx answer, or one too
   large to keep, releases the key so that the client may retry.
4. **Crashes.** A claim whose request did not finish (the process died, say) expires after
   ``CLAIM_SECONDS``: a retry then takes it over — a conditional UPDATE, so only one retry
   can — and runs the write. Answers are kept ``KEEP``.

The body is read whole here (the write is fingerprinted with it, and replayed to the app); the
request gate outside has already bounded it."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import (
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atoll.db.base import Base, created_at_column, id_column
from atoll.http.respond import respond
from atoll.http.signin import presented_secret
from atoll.kit.errors import AtollError, Conflict, Invalid
from atoll.kit.time import as_utc, utcnow

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
KEEP = timedelta(hours=24)
CLAIM_SECONDS = 60
MAX_KEY = 200
MAX_STORED_BODY = 1024 * 1024
STATE = "idempotency"  # request.state: the claim this request holds
SESSION = "db_session"  # request.state: the request's transaction (set by deps._db)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"

    id: Mapped[int] = id_column()
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Who holds the key while its request runs (a random token; empty on rows of older versions)
    claim: Mapped[str | None] = mapped_column(String(32))
    # While the status is empty: when the claim was made (it expires CLAIM_SECONDS later);
    # then: when the answer was stored (it is kept KEEP).
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("caller", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )


Answer = tuple[int, str, bytes]  # status, content type, body


@dataclass
class Claim:
    """The key a request holds while it runs."""

    caller: str
    key: str
    token: str
    stored: bool = False  # its answer went into the write's own transaction
    secret: bool = False  # its answer holds a secret: never kept (``answer_holds_a_secret``)

    def where(self) -> tuple[Any, ...]:
        return (
            IdempotencyKey.caller == self.caller,
            IdempotencyKey.key == self.key,
            IdempotencyKey.claim == self.token,
            IdempotencyKey.status.is_(None),
        )

    async def store(self, session: AsyncSession, answer: Answer) -> bool:
        """Write the answer into ``session``'s transaction; False when the claim is gone."""
        status, content_type, body = answer
        result = await session.execute(
            update(IdempotencyKey)
            .where(*self.where())
            .values(status=status, content_type=content_type[:100], body=body, created_at=utcnow())
        )
        return _rowcount(result) == 1

    async def release(self, session: AsyncSession) -> None:
        await session.execute(delete(IdempotencyKey).where(*self.where()))


def _rowcount(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def caller_of(headers: Headers) -> str | None:
    """Who is asking: a digest of the secret they sign in with (never stored raw)."""
    found = presented_secret(headers)
    return hashlib.sha256(found[0].encode()).hexdigest() if found else None


def fingerprint_of(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes a retry the same request."""
    return hashlib.sha256(
        method.encode() + b" " + path.encode() + b"?" + query + b"\n" + body
    ).hexdigest()


async def claim_key(
    maker: async_sessionmaker[AsyncSession],
    *,
    caller: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> IdempotencyKey | Claim:
    """Claim ``key`` for a request: the stored answer when there is one, else the claim made
    (a new one, or one whose request did not finish within CLAIM_SECONDS, taken over)."""
    claim = Claim(caller, key, secrets.token_hex(16))
    async with maker() as session:
        where = (IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        row = (await session.execute(select(IdempotencyKey).where(*where))).scalar_one_or_none()
        if row is None:
            await session.execute(
                delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP)
            )
            session.add(
                IdempotencyKey(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    claim=claim.token,
                    created_at=now,
                )
            )
            try:
                await session.commit()
            except IntegrityError as exc:  # a concurrent retry claimed it first
                raise _in_progress(CLAIM_SECONDS) from exc
            return claim
        if row.fingerprint != fingerprint:
            raise Invalid.field(
                "Idempotency-Key", "was already used for a different request; use a new key"
            )
        if row.status is not None:
            return row
        left = CLAIM_SECONDS - (now - as_utc(row.created_at)).total_seconds()
        if left > 0:
            raise _in_progress(left)
        held = (
            IdempotencyKey.claim.is_(None)
            if row.claim is None
            else IdempotencyKey.claim == row.claim
        )
        result = await session.execute(
            update(IdempotencyKey)
            .where(*where, held, IdempotencyKey.status.is_(None))
            .values(claim=claim.token, created_at=now)
        )
        await session.commit()
        if _rowcount(result) != 1:  # another retry took it over first
            raise _in_progress(CLAIM_SECONDS)
        return claim


def _in_progress(seconds_left: float) -> Conflict:
    error = Conflict("A request with this Idempotency-Key is in progress.")
    error.headers["Retry-After"] = str(max(1, min(CLAIM_SECONDS, round(seconds_left))))
    return error


class Idempotency:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        key = headers.get("idempotency-key") if headers is not None else None
        if (
            headers is None
            or key is None
            or scope["method"] not in UNSAFE
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        caller = caller_of(headers)
        if caller is None:  # not signed in: the answer will be 401 (or a token) anyway
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except ClientDisconnect:  # gone before the whole body came: nothing to do, or answer
            return
        fingerprint = fingerprint_of(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        maker = scope["app"].state.sessionmaker
        try:
            if not key or len(key) > MAX_KEY:
                raise Invalid.field("Idempotency-Key", f"must be 1 to {MAX_KEY} characters")
            claimed = await claim_key(
                maker, caller=caller, key=key, fingerprint=fingerprint, now=utcnow()
            )
        except AtollError as error:
            await respond(Request(scope), error)(scope, receive, send)
            return
        if isinstance(claimed, IdempotencyKey):
            await _send_stored(send, claimed)
            return
        scope.setdefault("state", {})[STATE] = claimed
        await _Run(self.app, maker, claimed)(scope, _replay(body), send)


class _Run:
    """One claimed request: its answer goes out as the app sends it when the app stored it with
    the write; otherwise it is held until it is stored (or the key released), then sent."""

    def __init__(self, app: ASGIApp, maker: async_sessionmaker[AsyncSession], claim: Claim) -> None:
        self.app, self.maker, self.claim = app, maker, claim
        self.held: list[Message] = []
        self.size = 0
        self.passing = False  # sending as it comes (stored by the app, or too large to keep)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.passing = self.claim.stored
            if self.passing:
                await send(message)
                return
            self.held.append(message)
            if message["type"] == "http.response.body":
                self.size += len(message.get("body", b""))
                if self.size > MAX_STORED_BODY:  # not kept: let the client retry, send on
                    await self._finish(None)
                    await self._flush(send)
                    self.passing = True
                elif not message.get("more_body", False):
                    await self._finish(self._answer())
                    await self._flush(send)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if not self.claim.stored:
                await self._finish(None)
            raise

    def _answer(self) -> Answer:
        start = self.held[0]
        content_type = Headers(raw=start.get("headers", [])).get("content-type", "")
        body = b"".join(m.get("body", b"") for m in self.held[1:])
        return start["status"], content_type, body

    async def _finish(self, answer: Answer | None) -> None:
        """Store an answer below 500; release the key otherwise (or for ``None``, or when the
        answer holds a secret)."""
        async with self.maker() as session:
            if answer is not None and answer[0] < 500 and not self.claim.secret:
                await self.claim.store(session, answer)
            else:
                await self.claim.release(session)
            await session.commit()

    async def _flush(self, send: Send) -> None:
        held, self.held = self.held, []
        for message in held:
            await send(message)


def holds_claim(scope: Scope) -> bool:
    """Whether this request holds an Idempotency-Key, whose answer is stored with its write."""
    return isinstance(scope.get("state", {}).get(STATE), Claim)


def answer_rolled_back(scope: Scope) -> None:
    """The request's transaction rolled back: an answer stored in it is gone too."""
    claim = scope.get("state", {}).get(STATE)
    if isinstance(claim, Claim):
        claim.stored = False


_SECRET = "_atoll_answer_holds_a_secret"
Endpoint = Callable[..., Any]


def answer_holds_a_secret(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint whose answer carries a secret shown once (a token, a TOTP key, recovery
    codes): its answer is never kept for an ``Idempotency-Key`` (the database would hold the
    secret in clear), so the key is released and a retry makes a new secret. Put it under the
    router's decorator."""
    setattr(endpoint, _SECRET, True)
    return endpoint


class IdempotentRoute(APIRoute):
    """An API route whose answer to a claimed request is stored in the request's own
    transaction, before it commits (see the module's docstring). Every API router uses it.
    An answer that holds a secret (``answer_holds_a_secret``) is not stored."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if getattr(self.endpoint, _SECRET, False):

            async def handle_secret(request: Request) -> Response:
                claim = request.scope.get("state", {}).get(STATE)
                if isinstance(claim, Claim):
                    claim.secret = True
                return await handler(request)

            return handle_secret

        async def handle(request: Request) -> Response:
            response = await handler(request)
            claim = request.scope.get("state", {}).get(STATE)
            if isinstance(claim, Claim) and response.status_code < 500:
                await _store_with_the_write(request, claim, response)
            return response

        return handle


async def _store_with_the_write(request: Request, claim: Claim, response: Response) -> None:
    body = getattr(response, "body", None)
    if not isinstance(body, bytes) or len(body) > MAX_STORED_BODY:
        return  # a streamed or large answer: the middleware releases the key
    session = request.scope.get("state", {}).get(SESSION)
    answer = (response.status_code, response.headers.get("content-type", ""), body)
    if isinstance(session, AsyncSession):
        stored = await claim.store(session, answer)
    else:  # an endpoint without a transaction: the answer is all there is to keep
        async with request.app.state.sessionmaker() as own:
            stored = await claim.store(own, answer)
            await own.commit()
    if not stored:  # the claim expired and a retry took it over: this write must not count
        raise Conflict(
            "This request took too long and was retried with the same Idempotency-Key; "
            "the retry's answer is the one that counts."
        )
    claim.stored = True


async def _read_body(receive: Receive) -> bytes:
    """The whole body, joined once (its size is bounded by the request gate outside)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_stored(send: Send, row: IdempotencyKey) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if row.content_type:
        headers.append((b"content-type", row.content_type.encode()))
    body = row.body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
