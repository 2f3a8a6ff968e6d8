"""Idempotent writes: an API write sent with ``Idempotency-Key`` is done once; a retry with the
same key (same caller, same request) gets the first answer back and changes nothing.

The key is claimed in its own committed row before the write runs, so two concurrent retries
cannot both run; the answer is stored once the write has answered. A 5xx answer releases the
key so that the client may retry."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atoll.db.base import Base, created_at_column, id_column
from atoll.kit.errors import AtollError, Conflict, Invalid
from atoll.kit.time import utcnow

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
KEEP = timedelta(hours=24)
MAX_KEY = 200
MAX_STORED_BODY = 1024 * 1024


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"

    id: Mapped[int] = id_column()
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("caller", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )


def _caller(headers: Headers) -> str | None:
    """Who is asking: a digest of their bearer token or session cookie (never stored raw)."""
    secret = headers.get("authorization", "")
    if not secret.lower().startswith("bearer "):
        cookies = headers.get("cookie", "")
        secret = next(
            (c.split("=", 1)[1] for c in cookies.split("; ") if c.startswith("atoll_session=")), ""
        )
    return hashlib.sha256(secret.encode()).hexdigest() if secret else None


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
        caller = _caller(headers)
        if caller is None:  # not signed in: the answer will be 401 (or a token) anyway
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive)
        except ClientDisconnect:  # gone before the whole body came: nothing to do, or answer
            return
        fingerprint = hashlib.sha256(
            scope["method"].encode()
            + b" "
            + scope["path"].encode()
            + b"?"
            + scope.get("query_string", b"")
            + b"\n"
            + body
        ).hexdigest()
        try:
            if not key or len(key) > MAX_KEY:
                raise Invalid.field("Idempotency-Key", f"must be 1 to {MAX_KEY} characters")
            stored = await self._claim(scope, caller, key, fingerprint)
        except AtollError as error:
            await _send_problem(send, error)
            return
        if stored is not None:
            await _send_stored(send, stored)
            return
        await self._run_and_store(scope, send, caller, key, body)

    async def _claim(
        self, scope: Scope, caller: str, key: str, fingerprint: str
    ) -> IdempotencyKey | None:
        maker = scope["app"].state.sessionmaker
        async with maker() as session:
            row = (
                await session.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.caller == caller, IdempotencyKey.key == key
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                await session.execute(
                    delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEEP)
                )
                session.add(IdempotencyKey(caller=caller, key=key, fingerprint=fingerprint))
                try:
                    await session.commit()
                except IntegrityError as exc:
                    raise Conflict("A request with this Idempotency-Key is in progress.") from exc
                return None
        if row.fingerprint != fingerprint:
            raise Invalid.field(
                "Idempotency-Key", "was already used for a different request; use a new key"
            )
        if row.status is None:
            raise Conflict("A request with this Idempotency-Key is in progress.")
        return row

    async def _run_and_store(
        self, scope: Scope, send: Send, caller: str, key: str, body: bytes
    ) -> None:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        content_type = ""
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, capture)
        finally:
            await self._store(scope, caller, key, status, content_type, b"".join(chunks))

    async def _store(
        self, scope: Scope, caller: str, key: str, status: int, content_type: str, body: bytes
    ) -> None:
        maker = scope["app"].state.sessionmaker
        async with maker() as session:
            where = (IdempotencyKey.caller == caller, IdempotencyKey.key == key)
            if status >= 500 or len(body) > MAX_STORED_BODY:
                await session.execute(delete(IdempotencyKey).where(*where))
            else:
                row = (await session.execute(select(IdempotencyKey).where(*where))).scalar_one()
                row.status, row.content_type, row.body = status, content_type[:100], body
                row.created_at = utcnow()
            await session.commit()


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


async def _send_stored(send: Send, row: IdempotencyKey) -> None:
    headers = [(b"idempotent-replayed", b"true")]
    if row.content_type:
        headers.append((b"content-type", row.content_type.encode()))
    body = row.body or b""
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": row.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_problem(send: Send, error: AtollError) -> None:
    body = json.dumps(error.problem()).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
