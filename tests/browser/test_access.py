"""Access that follows a person's changes, in Chromium: an administrator makes a member
external on *People & roles* and the private community closes to them; an owner is asked
before a second company joins a hybrid space; a guest sees no unit path.

The journeys share the demo database with the other browser tests, so what they change they
make themselves first (through the API, as the administrator), with unique names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, DEMO_PASSWORD, Problems, sign_in

pytestmark = pytest.mark.browser

NewPage = Callable[[], Awaitable[Page]]
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
        return answer.json()

    async def person(self, name: str, **kw: Any) -> dict[str, Any]:
        email = f"{name.lower().replace(' ', '.')}@example.com"
        body = {"name": name, "email": email, "password": PASSWORD, **kw}
        return await self.call("POST", "/people", json=body)  # type: ignore[no-any-return]

    async def space_id(self, name: str) -> str:
        found = await self.call("GET", "/spaces", params={"q": name})
        return next(s["id"] for s in found["items"] if s["name"] == name)


@pytest.fixture
async def admin(server: Server) -> AsyncIterator[Admin]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        token = await client.post(
            "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield Admin(client)


async def test_a_member_made_external_on_people_and_roles_loses_the_private_community(
    page: Page, other_page: NewPage, admin: Admin, problems: Problems
) -> None:
    name = unique("Pia Parting")
    pia = await admin.person(name, title="Team lead")
    circle = await admin.space_id("Leadership Circle")
    await admin.call("POST", f"/spaces/{circle}/members", json={"person_id": pia["id"]})

    pia_page = await other_page()
    await sign_in(pia_page, pia["email"], PASSWORD)
    await pia_page.goto("/spaces/leadership-circle")
    await expect(pia_page.get_by_role("heading", level=1)).to_have_text("Leadership Circle")
    await expect(pia_page.get_by_label("Your post")).to_be_visible()

    await sign_in(page, ADMIN_EMAIL)
    await (
        page.get_by_role("navigation", name="Main")
        .get_by_role("link", name="People & roles")
        .click()
    )
    await page.get_by_role("searchbox", name="Find").fill(pia["email"])
    await page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text=pia["email"])
    await row.get_by_text("Make external…").click()
    await row.get_by_label(f"Organisation of {name}").fill("Pia Consulting")
    await row.get_by_label(f"Relation of {name}").select_option(label="Partner")
    await expect(row.get_by_text("leaves every space but hybrid ones")).to_be_visible()
    await row.get_by_role("button", name=f"Make {name} external").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(row.get_by_text("Make member…")).to_be_visible()
    await expect(row).to_contain_text("Pia Consulting")

    # Pia's open page: the circle is gone for her, and so is everything internal.
    problems.expected_statuses.add(404)
    answer = await pia_page.goto("/spaces/leadership-circle")
    assert answer is not None and answer.status == 404
    await expect(pia_page.get_by_role("heading", level=1)).not_to_contain_text("Leadership")
    nav = pia_page.get_by_role("navigation", name="Main")
    await expect(nav.locator("a[href^='/spaces/']")).to_have_count(0)
    await expect(nav.get_by_role("link", name="Organisation")).to_have_count(0)


async def test_an_owner_is_asked_before_a_second_company_reads_a_hybrid_space(
    page: Page, admin: Admin
) -> None:
    space_name = unique("Acme rollout")
    space = await admin.call(
        "POST", "/spaces", json={"name": space_name, "kind": "hybrid", "visibility": "private"}
    )
    external = {"kind": "external", "relation": "customer"}
    acme = await admin.person(unique("Abe Acme"), organization="Acme Corp", **external)
    beta_name = unique("Bea Beta")
    beta = await admin.person(beta_name, organization="Beta Ltd", **external)
    await admin.call("POST", f"/spaces/{space['id']}/members", json={"person_id": acme["id"]})
    await admin.call(
        "POST", f"/spaces/{space['id']}/posts", json={"body": "Internal margin 42% on Acme"}
    )

    await sign_in(page, ADMIN_EMAIL)
    await page.goto(f"/spaces/{space['slug']}?tab=members")
    await expect(page.get_by_text("Private · Hybrid space with Acme Corp")).to_be_visible()
    await page.get_by_label("Add someone").fill(beta["email"])
    await page.get_by_role("button", name="Add", exact=True).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Bring Beta Ltd into {space_name}?"
    )
    await expect(page.get_by_text("once added, they read the whole history")).to_be_visible()
    await expect(page.get_by_role("list", name="Members from Beta Ltd")).to_have_count(0)
    yes = page.get_by_role(
        "button",
        name="Yes, add Beta Ltd — they will read the whole history, including what was "
        "written with Acme Corp",
    )
    await yes.click()

    await expect(page.get_by_role("list", name="Members from Beta Ltd")).to_contain_text(beta_name)
    await expect(
        page.get_by_text("Private · Hybrid space with Acme Corp, Beta Ltd")
    ).to_be_visible()
    await page.get_by_role("link", name="Posts", exact=True).click()
    await expect(page.locator("#audience")).to_contain_text("2 external from Acme Corp, Beta Ltd")


async def test_an_owner_may_decline_to_bring_in_a_second_company(page: Page, admin: Admin) -> None:
    space_name = unique("Globex pilot")
    space = await admin.call(
        "POST", "/spaces", json={"name": space_name, "kind": "hybrid", "visibility": "private"}
    )
    external = {"kind": "external", "relation": "partner"}
    globex = await admin.person(unique("Gil Globex"), organization="Globex", **external)
    other_name = unique("Ola Other")
    other = await admin.person(other_name, organization="Other Inc", **external)
    await admin.call("POST", f"/spaces/{space['id']}/members", json={"person_id": globex["id"]})

    await sign_in(page, ADMIN_EMAIL)
    await page.goto(f"/spaces/{space['slug']}?tab=members")
    await page.get_by_label("Add someone").fill(other["email"])
    await page.get_by_role("button", name="Add", exact=True).click()
    await page.get_by_role("link", name=f"No, do not add {other_name}").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(space_name)
    await expect(page.get_by_role("list", name="Members from Globex")).to_be_visible()
    await expect(page.get_by_role("list", name="Members from Other Inc")).to_have_count(0)


async def test_a_guest_sees_a_colleagues_title_but_not_their_unit(
    page: Page, other_page: NewPage
) -> None:
    ana = await other_page()
    await sign_in(ana, ANA_EMAIL)
    await ana.goto("/people?q=ana.silva")
    await ana.get_by_role("link", name="Ana Silva").first.click()
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Ana Silva")
    unit_path = ana.locator(".profile-head p.muted")
    await expect(unit_path).to_contain_text("Northwind ›")
    profile = ana.url

    await sign_in(page, "marta@acme.example")
    await page.goto(profile)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ana Silva")
    await expect(page.get_by_text("Northwind ›")).to_have_count(0)
    await page.goto("/people")
    await expect(page.get_by_label("Unit")).to_have_count(0)
