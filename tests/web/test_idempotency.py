"""Idempotency-Key: a retried write is done once and answers the same."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers

import atoll
from atoll.conversations.models import Post
from atoll.http.idempotency import IdempotencyKey, IdempotentRoute, caller_of, fingerprint_of
from atoll.kit.time import utcnow
from atoll.people.deps import CurrentCredential, require_person
from atoll.people.models import Person
from tests.conversations.helpers import make_space
from tests.factories import auth_headers, make_person


async def _people(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Person)) or 0)


async def test_retry_with_the_same_key_creates_nothing_new(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    headers = {**await auth_headers(client, admin), "Idempotency-Key": "5f0c6f5e-1"}
    body = {"name": "Once Only", "email": "once@example.com"}
    first = await client.post("/api/v1/people", json=body, headers=headers)
    second = await client.post("/api/v1/people", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await _people(db) == 2
    other = await client.post(
        "/api/v1/people", json={**body, "email": "twice@example.com"}, headers=headers
    )
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    fresh = await client.post(
        "/api/v1/people",
        json={**body, "email": "twice@example.com"},
        headers={**headers, "Idempotency-Key": "5f0c6f5e-2"},
    )
    assert fresh.status_code == 201 and await _people(db) == 3


async def test_errors_are_replayed_too_and_keys_are_per_caller(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    member = await make_person(db)
    body = {"name": "X", "email": "x@example.com"}
    key = {"Idempotency-Key": "shared-key"}
    refused = await client.post(
        "/api/v1/people", json=body, headers={**await auth_headers(client, member), **key}
    )
    assert refused.status_code == 403
    allowed = await client.post(
        "/api/v1/people", json=body, headers={**await auth_headers(client, admin), **key}
    )
    assert allowed.status_code == 201


# --- stored with the write, before the answer leaves ------------------------------------------


async def _posts(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Post)) or 0)


async def test_a_retry_right_after_the_answer_gets_that_answer(
    served: int, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Over a real socket: the retry goes out the moment the first answer has arrived. An
    answer stored after it was sent made this 409 "in progress"."""
    member = await make_person(db)
    headers = await auth_headers(client, member)
    space_id = (await make_space(client, headers))["id"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served}") as real:
        for n in range(5):
            key = {**headers, "Idempotency-Key": f"at-once-{n}"}
            path = f"/api/v1/spaces/{space_id}/posts"
            first = await real.post(path, json={"body": f"Post {n}"}, headers=key)
            again = await real.post(path, json={"body": f"Post {n}"}, headers=key)
            assert first.status_code == 201, first.text
            assert again.status_code == 201, again.text
            assert again.json() == first.json()
            assert again.headers["idempotent-replayed"] == "true"
        # an error answer is stored before it is sent, too
        key = {**headers, "Idempotency-Key": "refused-at-once"}
        body = {"name": "X", "email": "x@example.com"}
        refused = await real.post("/api/v1/people", json=body, headers=key)
        again = await real.post("/api/v1/people", json=body, headers=key)
        assert refused.status_code == again.status_code == 403
        assert again.headers["idempotent-replayed"] == "true"
    assert await _posts(db) == 5


async def _left_by_a_crash(
    db: AsyncSession, *, token: str, key: str, path: str, body: bytes, age: timedelta
) -> None:
    """The row a request leaves when its process dies mid-write: claimed, no answer."""
    db.add(
        IdempotencyKey(
            caller=caller_of(Headers({"authorization": f"Bearer {token}"})) or "",
            key=key,
            fingerprint=fingerprint_of("POST", path, b"", body),
            claim="c" * 32,
            created_at=utcnow() - age,
        )
    )
    await db.commit()


async def test_a_claim_whose_request_did_not_finish_expires_after_a_minute(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await make_person(db)
    headers = await auth_headers(client, member)
    space_id = (await make_space(client, headers))["id"]
    path = f"/api/v1/spaces/{space_id}/posts"
    body = b'{"body": "Sent before the crash"}'
    token = headers["Authorization"].removeprefix("Bearer ")
    send = {**headers, "Content-Type": "application/json"}

    await _left_by_a_crash(
        db, token=token, key="recent", path=path, body=body, age=timedelta(seconds=30)
    )
    recent = await client.post(path, content=body, headers={**send, "Idempotency-Key": "recent"})
    assert recent.status_code == 409 and "in progress" in recent.json()["detail"]
    assert 25 <= int(recent.headers["retry-after"]) <= 30
    assert await _posts(db) == 0

    await _left_by_a_crash(
        db, token=token, key="old", path=path, body=body, age=timedelta(seconds=61)
    )
    taken = await client.post(path, content=body, headers={**send, "Idempotency-Key": "old"})
    assert taken.status_code == 201, taken.text
    again = await client.post(path, content=body, headers={**send, "Idempotency-Key": "old"})
    assert again.status_code == 201 and again.json() == taken.json()
    assert await _posts(db) == 1


async def test_a_write_whose_answer_cannot_be_stored_is_rolled_back(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """The claim is taken over while the write runs (it ran past the expiry and a retry took
    the key): the write must not count, or the two would both have happened."""
    member = await make_person(db)
    headers = await auth_headers(client, member)
    space_id = (await make_space(client, headers))["id"]

    async def slow_caller(credential: CurrentCredential) -> Person:
        async with app.state.sessionmaker() as other:  # the retry that took the key
            await other.execute(update(IdempotencyKey).values(claim="t" * 32))
            await other.commit()
        return credential.person

    app.dependency_overrides[require_person] = slow_caller
    try:
        answer = await client.post(
            f"/api/v1/spaces/{space_id}/posts",
            json={"body": "Too slow"},
            headers={**headers, "Idempotency-Key": "taken-over"},
        )
    finally:
        del app.dependency_overrides[require_person]
    assert answer.status_code == 409, answer.text
    assert await _posts(db) == 0
    row = (await db.execute(select(IdempotencyKey))).scalar_one()
    assert row.status is None and row.claim == "t" * 32  # the retry's to answer


async def test_a_5xx_releases_the_key(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await make_person(db)
    headers = await auth_headers(client, member)
    space_id = (await make_space(client, headers))["id"]
    headers["Idempotency-Key"] = "fails-once"

    async def broken() -> Person:
        raise RuntimeError("the database went away")

    app.dependency_overrides[require_person] = broken
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            failed = await c.post(
                f"/api/v1/spaces/{space_id}/posts", json={"body": "Hi"}, headers=headers
            )
    finally:
        del app.dependency_overrides[require_person]
    assert failed.status_code == 500
    retried = await client.post(
        f"/api/v1/spaces/{space_id}/posts", json={"body": "Hi"}, headers=headers
    )
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await _posts(db) == 1


def test_every_api_route_stores_its_answer_with_the_write() -> None:
    routes = 0
    for package in pkgutil.iter_modules(atoll.__path__):
        try:
            module = importlib.import_module(f"atoll.{package.name}.api")
        except ModuleNotFoundError:
            continue
        for route in module.router.routes:
            assert isinstance(route, IdempotentRoute), (package.name, route)
            routes += 1
    assert routes > 50


async def test_an_answer_that_holds_a_secret_is_never_kept(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """A personal access token (or a TOTP key, or recovery codes) is shown once: the database
    never keeps it in a stored answer, so a retry makes a new one rather than replaying it."""
    ana = await make_person(db)
    headers = {**await auth_headers(client, ana), "Idempotency-Key": "token-once"}
    body = {"name": "ci", "scopes": ["read"], "expires_in_days": 30}
    first = await client.post("/api/v1/me/tokens", json=body, headers=headers)
    second = await client.post("/api/v1/me/tokens", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["token"] != second.json()["token"]
    assert second.headers.get("idempotent-replayed") is None
    kept = (await db.execute(select(IdempotencyKey.body))).scalars().all()
    assert not any(first.json()["token"].encode() in (b or b"") for b in kept)
