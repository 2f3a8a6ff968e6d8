"""Idempotency-Key: a retried write is done once and answers the same."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
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
