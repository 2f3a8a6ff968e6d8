"""The shell: security headers, problem+json and friendly error pages, health, OpenAPI."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from atoll.web.security import SecurityHeaders, _no_store
from tests.factories import auth_headers, make_person
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


async def test_answers_to_signed_in_requests_are_not_stored(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    api = await client.get("/api/v1/me", headers=await auth_headers(client, ana))
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    await sign_in(client, ana.email)
    for path in ("/", "/people", "/api/v1/me", "/nowhere"):
        answer = await client.get(path)
        assert answer.headers["cache-control"] == "no-store", path
    # static assets keep caching, with or without a session
    css = await client.get("/static/atoll.svg")
    assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")
    client.cookies.clear()
    assert "no-store" not in (await client.get("/sign-in")).headers.get("cache-control", "")


def test_no_store_keeps_no_transform_for_event_streams() -> None:
    headers = [
        (b"content-type", b"text/event-stream"),
        (b"cache-control", b"no-cache, no-transform"),
    ]
    assert _no_store(headers)[-1] == (b"cache-control", b"no-store, no-transform")
    private = [(b"cache-control", b"private, max-age=3600")]
    assert _no_store(private) == [(b"cache-control", b"no-store")]


async def test_hsts_behind_https(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        sent = (await tls.get("/sign-in")).headers["strict-transport-security"]
        assert sent == "max-age=31536000; includeSubDomains"
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as plain:
        assert "strict-transport-security" not in (await plain.get("/sign-in")).headers

    async def hello(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("hi")(scope, receive, send)

    behind_a_proxy = httpx.ASGITransport(app=SecurityHeaders(hello, https=True))
    async with httpx.AsyncClient(transport=behind_a_proxy, base_url="http://x") as plain:
        assert "max-age" in (await plain.get("/")).headers["strict-transport-security"]


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


async def test_the_api_reference_is_served_from_this_site(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts and all('src="/static/' in attrs for attrs in scripts)  # none inline
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', page.text))
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/api-docs.js"):
        assert asset in page.text
        assert (await client.get(asset)).status_code == 200, asset
