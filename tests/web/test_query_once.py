"""A query parameter of the JSON API given twice is refused with 422 naming it (FastAPI would
otherwise keep the last value silently)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import auth_headers, make_person


async def test_a_repeated_query_parameter_is_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    headers = await auth_headers(client, await make_person(db, role="admin"))
    once = await client.get("/api/v1/discover/communities?limit=2", headers=headers)
    twice = await client.get("/api/v1/discover/communities?limit=2&limit=2.0", headers=headers)
    assert once.status_code == 200, once.text
    assert twice.status_code == 422
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert "limit" in twice.text and "only once" in twice.text
