"""The shell: security headers, problem+json and friendly error pages, health, OpenAPI."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_person
from tests.web.helpers import sign_in


async def test_security_headers_on_pages_and_api(client: httpx.AsyncClient) -> None:
    for path in ("/sign-in", "/api/v1/me"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_unknown_api_path_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert set(response.json()) >= {"type", "title", "status", "detail"}


async def test_unknown_page_is_a_friendly_page(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db)
    await sign_in(client, ana.email)
    response = await client.get("/people/123456789")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No such person." in response.text and "Back to the home page" in response.text


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/units",
        "/api/v1/admin/import/org",
        "/api/v1/auth/logout",
    ):
        assert path in doc["paths"], path
    assert not any(p.startswith("/sign-in") for p in doc["paths"])


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
