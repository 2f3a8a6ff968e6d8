"""The chrome — the navigation with the viewer's spaces, the bell's unread count, where the
event stream starts — is loaded for the full pages that show it (and their error pages),
never for a fragment, a download or the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service as conversations
from atoll.conversations.models import Post
from atoll.people.models import Person
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from tests.factories import auth_headers, make_person
from tests.web.helpers import sign_in

HTMX = {"HX-Request": "true"}


async def _guild(db: AsyncSession) -> tuple[Person, Space, list[Post]]:
    """Ana, her space "Guild" and more posts in it than the feed's first page holds."""
    ana = await make_person(db, name="Ana")
    guild = await spaces.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    posts = [
        await conversations.do_create_post(db, author=ana, space=guild, body=f"Note {n}")
        for n in range(17)
    ]
    await db.commit()
    return ana, guild, posts


def _nav(html: str) -> str:
    assert 'aria-label="Main"' in html, "no navigation on the page"
    return html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]


def _bell(html: str) -> str:
    match = re.search(r'<a id="bell"[^>]*>', html)
    assert match, "no bell on the page"
    return match.group(0)


def _more(html: str) -> str:
    """The URL of the feed's next page, as its "load more" element asks for it."""
    match = re.search(r'hx-get="([^"]*cursor=[^"]+)"', html)
    assert match, "no next page"
    return match.group(1).replace("&amp;", "&")


@pytest.fixture
def chrome_calls(app: FastAPI) -> Iterator[list[str]]:
    """Every path the installed chrome is loaded for, while the test runs. (Not monkeypatch:
    the app's state keeps its attributes outside ``__dict__``, which monkeypatch restores.)"""
    calls: list[str] = []
    load = app.state.chrome

    async def spy(request: Request, db: AsyncSession, person: Person) -> Any:
        calls.append(request.url.path)
        return await load(request, db, person)

    app.state.chrome = spy
    try:
        yield calls
    finally:
        app.state.chrome = load


async def test_full_pages_and_their_error_pages_show_the_navigation_and_the_bell(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, _, posts = await _guild(db)
    await sign_in(client, ana.email)
    pages = [
        "/",
        "/spaces",
        "/spaces/guild",
        f"/posts/{posts[0].id}",
        "/people",
        f"/people/{ana.id}",
        "/search?q=note",
        "/notifications",
        "/discover",
        "/spaces/guild/wiki",
        "/account/sessions",
        "/units",
    ]
    for path in pages:
        page = await client.get(path)
        assert page.status_code == 200, path
        assert 'href="/spaces/guild"' in _nav(page.text), path
        assert 'aria-label="Notifications, 0 unread"' in _bell(page.text), path
        assert re.search(r'name="atoll-events" content="[^"]*last_event_id=\d+"', page.text), path
    for path in ("/spaces/no-such-space", "/posts/999999999"):
        error = await client.get(path)
        assert error.status_code == 404, path
        assert 'href="/spaces/guild"' in _nav(error.text), path
        assert 'aria-label="Notifications, 0 unread"' in _bell(error.text), path


async def test_fragments_downloads_and_the_api_load_no_chrome(
    client: httpx.AsyncClient, db: AsyncSession, chrome_calls: list[str]
) -> None:
    ana, guild, posts = await _guild(db)
    await sign_in(client, ana.email)
    home = await client.get("/")
    assert chrome_calls == ["/"]
    assert 'aria-label="Notifications, 0 unread"' in _bell(home.text)
    chrome_calls.clear()

    fragments = [
        (_more(home.text), HTMX),  # the feed's next page
        (f"/compose/audience?space_id={guild.id}", HTMX),
        (f"/compose/suggest?space_id={guild.id}&q=an", {}),
        ("/search/suggest?q=gu", HTMX),
        ("/spaces/guild/suggest?for=add&q=an", HTMX),
        (f"/posts/{posts[0].id}/card", HTMX),
        (f"/posts/{posts[0].id}/reactions", HTMX),
        ("/discover/panel", HTMX),
    ]
    for path, headers in fragments:
        fragment = await client.get(path, headers=headers)
        assert fragment.status_code == 200, (path, fragment.text)
        assert 'aria-label="Main"' not in fragment.text, path
    analyst = await make_person(db, name="Ann Alyst", role="admin")
    api = await auth_headers(client, analyst)
    assert (await client.get("/api/v1/spaces", headers=api)).status_code == 200
    assert (await client.get("/api/v1/notifications", headers=api)).status_code == 200
    assert chrome_calls == [], "no fragment, download or API call loads the chrome"

    csv = await client.get("/analytics/value-matrix.csv", headers=api)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert chrome_calls == []
    assert (await client.get("/analytics", headers=api)).status_code == 200
    assert chrome_calls == ["/analytics"]
