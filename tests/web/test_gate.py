"""The request gate: bodies are bounded, and a write's credentials are checked before its body
is read. "Not read" is shown by counting what the client's body generator was asked for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Attachment, Post
from atoll.http.idempotency import _read_body
from tests.conversations.helpers import make_space
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"
LIMIT = 1024 * 1024  # ATOLL_MAX_REQUEST_KB's default
CHUNK = 64 * 1024
HUNDRED_MB = 100 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


class Body:
    """A request body of ``size`` bytes that counts how much of it the server asked for."""

    def __init__(self, size: int = HUNDRED_MB, start: bytes = b"") -> None:
        self.size, self.start, self.sent = size, start, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.start:
            self.sent += len(self.start)
            yield self.start
        while self.sent < self.size:
            piece = b" " * min(CHUNK, self.size - self.sent)
            self.sent += len(piece)
            yield piece


async def _space(client: httpx.AsyncClient, db: AsyncSession) -> tuple[dict[str, str], str]:
    headers = await auth_headers(client, await make_person(db))
    return headers, (await make_space(client, headers))["id"]


async def _count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_declared_length_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers, space_id = await _space(client, db)
    body = Body()
    answer = await client.post(
        f"{API}/spaces/{space_id}/posts",
        content=body,
        headers={**headers, "Content-Type": "application/json", "Content-Length": str(body.size)},
    )
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "1 MB" in answer.json()["detail"]
    assert body.sent == 0


@pytest.mark.parametrize("idempotent", [False, True])
async def test_a_chunked_body_is_cut_as_soon_as_it_crosses_the_limit(
    client: httpx.AsyncClient, db: AsyncSession, idempotent: bool
) -> None:
    headers, space_id = await _space(client, db)
    if idempotent:
        headers["Idempotency-Key"] = "big-one"
    body = Body(start=b'{"body": "')
    answer = await client.post(
        f"{API}/spaces/{space_id}/posts",
        content=body,  # no length: sent chunked
        headers={**headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["status"] == 413
    assert LIMIT < body.sent <= LIMIT + CHUNK
    assert await _count(db, Post) == 0
    # the key was never claimed: the same request, small, goes through
    small = await client.post(
        f"{API}/spaces/{space_id}/posts", json={"body": "small"}, headers=headers
    )
    assert small.status_code == 201, small.text


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient, db: AsyncSession) -> None:
    headers, space_id = await _space(client, db)
    text = "x" * (LIMIT - 100)
    answer = await client.post(
        f"{API}/spaces/{space_id}/posts", json={"body": text}, headers=headers
    )
    assert answer.status_code == 422  # too long a post, said by the app: the body was read
    assert answer.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_bogus_token_gets_401_before_the_body_is_read(
    client: httpx.AsyncClient, db: AsyncSession, chunked: bool
) -> None:
    _, space_id = await _space(client, db)
    body = Body(size=HUNDRED_MB if chunked else LIMIT // 2)
    length = {} if chunked else {"Content-Length": str(body.size)}
    answer = await client.post(
        f"{API}/spaces/{space_id}/posts",
        content=body,
        headers={"Authorization": "Bearer bogus", "Content-Type": "application/json", **length},
    )
    assert answer.status_code == 401, answer.text
    assert "bearer token" in answer.json()["detail"]
    assert body.sent == 0


async def test_a_read_only_token_gets_403_before_the_body_is_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers, space_id = await _space(client, db)
    made = await client.post(
        f"{API}/me/tokens", json={"name": "reader", "scopes": ["read"]}, headers=headers
    )
    read_only = {"Authorization": f"Bearer {made.json()['token']}"}
    body = Body()  # chunked, 100 MB
    answer = await client.post(
        f"{API}/spaces/{space_id}/posts",
        content=body,
        headers={**read_only, "Content-Type": "application/json"},
    )
    assert answer.status_code == 403, answer.text
    assert '"write" scope' in answer.json()["detail"]
    assert body.sent == 0


async def test_a_dead_session_cookie_gets_401_unread_and_is_forgotten(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    person = await make_person(db)
    client.cookies.set("atoll_session", "no-such-session", domain="testserver.local")
    body = Body()
    answer = await client.post(
        f"{API}/spaces/1/posts", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 401 and body.sent == 0
    assert 'atoll_session=""' in answer.headers["set-cookie"]
    assert "atoll_session" not in client.cookies
    # with the cookie gone, a write that needs no sign-in works again
    token = await client.post(
        f"{API}/auth/token", json={"email": person.email, "password": "correct horse battery"}
    )
    assert token.status_code == 200


async def test_uploads_keep_their_larger_limit_and_need_a_sign_in_first(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    headers, _ = await _space(client, db)
    big = PNG + b"\x00" * (2 * LIMIT)  # over the JSON limit, within ATOLL_MAX_UPLOAD_MB
    stored = await client.post(
        f"{API}/attachments", files={"file": ("big.png", big, "image/png")}, headers=headers
    )
    assert stored.status_code == 201, stored.text
    # the allowance is for files: the same path with a JSON body has the JSON limit
    as_json = await client.post(
        f"{API}/attachments",
        content=b"[" + b" " * (2 * LIMIT) + b"]",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert as_json.status_code == 413
    body = Body(size=10 * LIMIT)
    anonymous = await client.post(
        f"{API}/attachments",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert anonymous.status_code == 401 and body.sent == 0
    kept = (await db.execute(select(Attachment))).scalars().all()
    assert len(kept) == 1
    # other tests look at the sizes of the stored files
    app.state.storage.path_of(kept[0]).unlink()


async def test_a_page_form_over_the_limit_gets_the_413_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    person = await make_person(db)
    await sign_in(client, person.email)
    page = await client.get("/")
    answer = await client.post(
        "/posts",
        data={"csrf_token": csrf_of(page.text), "body": "x" * (2 * LIMIT), "space_id": "1"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "too large" in answer.text and "1 MB" in answer.text


async def test_the_idempotency_layer_joins_a_body_once() -> None:
    """100,000 small pieces: joined once, this takes a blink; copied again for each piece (the
    old ``body += piece``) it would copy about 2.5 TB. The bound is far from either."""
    pieces = iter([b"x" * 512] * 100_000)

    async def receive() -> dict[str, object]:
        piece = next(pieces, None)
        return {"type": "http.request", "body": piece or b"", "more_body": piece is not None}

    body = await asyncio.wait_for(_read_body(receive), timeout=60)
    assert len(body) == 512 * 100_000


# --- over a real socket: the answer comes while the client is still sending -----------------


async def _status_while_sending(port: int, head: str, first: bytes) -> int:
    """Send the head and the first part of a body, then wait for the answer without sending
    the rest: only a server that answers before reading everything answers at all."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + first)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=30)
        return int(line.split()[1])
    finally:
        writer.close()


async def test_over_http_a_bogus_token_is_refused_mid_body(served: int) -> None:
    head = (
        "POST /api/v1/spaces/1/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer bogus\r\n"
        f"Content-Type: application/json\r\nContent-Length: {LIMIT}\r\n\r\n"
    )
    assert await _status_while_sending(served, head, b'{"body": "' + b"x" * 8000) == 401


async def test_over_http_a_chunked_body_is_refused_once_past_the_limit(
    served: int, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers, space_id = await _space(client, db)
    head = (
        f"POST /api/v1/spaces/{space_id}/posts HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b" " * CHUNK
    chunks = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") * (LIMIT // CHUNK + 1)
    assert await _status_while_sending(served, head, chunks) == 413
