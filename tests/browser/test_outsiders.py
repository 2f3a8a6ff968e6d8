"""Comfort before going outward, in Chromium: a member's first post in a hybrid space asks to
confirm — who will read it, from which organisations, with the space's guidelines — posts
once confirmed and does not ask again; a new member who joins a space with guidelines sees
them until "Got it"; the practice space opens from the account menu and takes a post.

The journeys share the demo database with the other browser tests, so the people and spaces
they use they make themselves first (through the API, as the administrator), with unique
names."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


class Admin:
    """The demo's administrator, through the API."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def call(self, method: str, path: str, **kw: Any) -> Any:
        answer = await self.client.request(method, "/api/v1" + path, **kw)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    async def person(self, name: str, **kw: Any) -> dict[str, Any]:
        email = f"{name.lower().replace(' ', '.')}@example.com"
        body = {"name": name, "email": email, "password": PASSWORD, **kw}
        return await self.call("POST", "/people", json=body)  # type: ignore[no-any-return]


@pytest.fixture
async def admin(server: Server) -> AsyncIterator[Admin]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        token = await client.post(
            "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield Admin(client)


async def _signed_in(page: Page, person: dict[str, Any]) -> None:
    await sign_in(page, person["email"], PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {person['name']}")


async def _write(page: Page, body: str) -> None:
    await page.get_by_label("Your post").fill(body)
    await page.get_by_role("button", name="Post", exact=True).click()


async def test_the_first_post_where_outsiders_read_asks_once(page: Page, admin: Admin) -> None:
    space = await admin.call(
        "POST", "/spaces", json={"name": unique("Acme launch"), "kind": "hybrid"}
    )
    await admin.call(
        "PATCH", f"/spaces/{space['id']}", json={"guidelines": "No **prices** in here, please."}
    )
    mia = await admin.person(unique("Mia Maker"), title="Engineer")
    external = {"kind": "external", "relation": "customer", "organization": "Acme Corp"}
    abe = await admin.person(unique("Abe Acme"), **external)
    for person in (mia, abe):
        await admin.call("POST", f"/spaces/{space['id']}/members", json={"person_id": person["id"]})

    await _signed_in(page, mia)
    await page.goto(f"/spaces/{space['slug']}")
    first = unique("Kick-off notes for the launch")
    await _write(page, first)

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Before you post: who will read this"
    )
    await expect(page.locator("#outsiders-audience")).to_contain_text("Acme Corp")
    await expect(page.locator("#outsiders-audience")).to_contain_text("people will read it")
    guidelines = page.get_by_role("region", name=f"How we work in {space['name']}")
    await expect(guidelines.locator("strong")).to_have_text("prices")
    await expect(page.get_by_label("What you wrote")).to_contain_text(first)
    await expect(page.get_by_role("button", name="Go back and edit")).to_be_visible()
    await page.get_by_role("button", name="Post it").click()

    await expect(page).to_have_url(re.compile(rf"/spaces/{space['slug']}\?posted=\d+#posts$"))
    await expect(page.get_by_role("article").filter(has_text=first)).to_be_visible()

    second = unique("And the agenda")
    await _write(page, second)
    await expect(page.get_by_role("article").filter(has_text=second)).to_be_visible()
    await expect(
        page.get_by_role("heading", name="Before you post: who will read this")
    ).to_have_count(0)


async def test_a_new_member_sees_the_guidelines_until_got_it(page: Page, admin: Admin) -> None:
    space = await admin.call(
        "POST", "/spaces", json={"name": unique("Data guild"), "kind": "community"}
    )
    await admin.call(
        "PATCH",
        f"/spaces/{space['id']}",
        json={"guidelines": "Ask in public; *search before you ask*."},
    )
    nico = await admin.person(unique("Nico Newcomer"))
    await _signed_in(page, nico)
    await page.goto(f"/spaces/{space['slug']}")
    panel = page.get_by_role("region", name="How we work here")
    await expect(panel).to_have_count(0)
    await page.get_by_role("button", name="Join", exact=True).click()

    await expect(panel).to_be_visible()
    await expect(panel.locator("em")).to_have_text("search before you ask")
    await panel.get_by_role("button", name="Got it").click()
    await expect(panel).to_have_count(0)
    await page.reload()
    await expect(page.get_by_role("heading", name=space["name"], level=1)).to_be_visible()
    await expect(panel).to_have_count(0)
    await page.goto(f"/spaces/{space['slug']}?tab=about")
    await expect(page.get_by_text("search before you ask")).to_be_visible()


async def test_the_practice_space_opens_and_takes_a_post(page: Page, admin: Admin) -> None:
    pat = await admin.person(unique("Pat Practice"))
    await _signed_in(page, pat)
    await page.get_by_label("Your account menu").click()
    await page.get_by_role("link", name="Practice space", exact=True).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("My practice space")
    welcome = page.get_by_role("article").filter(has_text="Welcome to your practice space")
    await expect(welcome).to_be_visible()
    await expect(page.get_by_text("Only you · Practice space")).to_be_visible()
    trial = unique("Trying")
    await _write(page, f"{trial} **bold** things")
    card = page.get_by_role("article").filter(has_text=trial)
    await expect(card.locator("strong")).to_have_text("bold")
