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
        # no page makes the reader's browser load an image from another host
        assert "img-src 'self' data: blob:;" in csp
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


async def test_long_space_groups_show_eight_and_the_open_one(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    from atoll.spaces import service as spaces

    me = await make_person(db, email="many@example.com", password="pw-123456789")
    for n in range(10):
        await spaces.do_create_space(
            db, actor=me, name=f"Club {n:02d}", kind="community", visibility="open"
        )
    await db.commit()
    await sign_in(client, "many@example.com", "pw-123456789")

    def nav_of(html: str) -> str:
        return html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]

    home = nav_of((await client.get("/")).text)
    listed = [n for n in range(10) if f"Club {n:02d}" in home]
    assert len(listed) == 8
    assert 'href="/spaces?mine=true">Show all 10<' in home
    hidden = next(n for n in range(10) if n not in listed)
    opened = nav_of((await client.get(f"/spaces/club-{hidden:02d}")).text)
    assert f"Club {hidden:02d}" in opened and 'aria-current="page"' in opened
