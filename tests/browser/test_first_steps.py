"""In Chromium: a new member walks their first steps from the home page's checklist — each
step's link leads to where it is taken, and each ticks by itself once done — until the
checklist congratulates them; then they hide it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "first steps are the hardest"


async def _token(
    api: httpx.AsyncClient, email: str, password: str = DEMO_PASSWORD
) -> dict[str, str]:
    r = await api.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _call(
    api: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], **body: Any
) -> Any:
    r = await api.request(method, f"/api/v1{path}", json=body or None, headers=headers)
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None


async def _world(server: Server) -> dict[str, Any]:
    """A new member in Ana's team, a question waiting there, a colleague of another department
    asking in a community of theirs, and a hybrid space where a customer asked something."""
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as api:
        admin = await _token(api, ADMIN_EMAIL)
        ana = await _token(api, "ana.silva@northwind.example")
        ana_unit = (await _call(api, "GET", "/me", ana))["unit_id"]
        units = (await _call(api, "GET", "/units", admin))["items"]
        ana_path = {u["id"]: u for u in units}
        elsewhere = next(
            u for u in units if u["level"] == 2 and u["id"] != _silo(ana_path, ana_unit)
        )

        def person(name: str, unit_id: str) -> dict[str, Any]:
            email = f"{name.lower()}.{tag}@northwind.example"
            return {
                "name": f"{name} {tag}",
                "email": email,
                "password": PASSWORD,
                "kind": "member",
                "role": "member",
                "unit_id": unit_id,
            }

        new = await _call(api, "POST", "/people", admin, **person("Nova", ana_unit))
        far = await _call(api, "POST", "/people", admin, **person("Farid", elsewhere["id"]))
        far_h = await _token(api, far["email"], PASSWORD)
        new_h = await _token(api, new["email"], PASSWORD)
        team = next(  # the space of Ana's team, which the new member is in with her
            s
            for s in (await _call(api, "GET", "/spaces?kind=unit&limit=100", new_h))["items"]
            if s["my_role"] and s.get("unit_id") == ana_unit
        )
        question = f"Who can review my query plan? {tag}"
        await _call(api, "POST", f"/spaces/{team['id']}/posts", ana, body=question, kind="question")
        guild = await _call(
            api,
            "POST",
            "/spaces",
            far_h,
            name=f"Query Guild {tag}",
            kind="community",
            visibility="open",
        )
        far_question = f"How do you index JSON? {tag}"
        await _call(
            api, "POST", f"/spaces/{guild['id']}/posts", far_h, body=far_question, kind="question"
        )
        hybrid = await _call(
            api,
            "POST",
            "/spaces",
            admin,
            name=f"Acme desk {tag}",
            kind="hybrid",
            visibility="private",
        )
        # A customer of its own: the demo's guests are other journeys' (their spaces counted).
        email = f"kim.{tag}@acme.example"
        await _call(
            api,
            "POST",
            "/people",
            admin,
            name=f"Kim {tag}",
            email=email,
            password=PASSWORD,
            kind="external",
            role="guest",
            organization="Acme Corp",
            relation="customer",
        )
        kim = await _token(api, email, PASSWORD)
        kim_id = (await _call(api, "GET", "/me", kim))["id"]
        for who in (new["id"], kim_id):
            await _call(
                api, "POST", f"/spaces/{hybrid['id']}/members", admin, person_id=who, role="member"
            )
        ask = f"Our invoices are late {tag}"
        await _call(api, "POST", f"/spaces/{hybrid['id']}/posts", kim, body=ask)
    return {
        "new": new,
        "team": team,
        "question": question,
        "guild": guild,
        "far_question": far_question,
        "hybrid": hybrid,
        "ask": ask,
    }


def _silo(units: dict[str, dict[str, Any]], unit_id: str) -> str:
    """The unit's ancestor at level 2 (the silo level)."""
    unit = units[unit_id]
    while unit["level"] > 2:
        unit = units[unit["parent_id"]]
    return str(unit["id"])


async def _home(page: Page, done: int) -> None:
    await page.goto("/")
    await expect(page.locator("#first-steps-progress")).to_have_text(f"{done} of 6 done")


async def _ticked(page: Page, key: str) -> None:
    await expect(page.locator(f'.first-step[data-step="{key}"]')).to_have_class(
        re.compile(r"\bdone\b")
    )


async def _step(page: Page, title: str) -> None:
    await page.locator("#first-steps").get_by_role("link", name=title).click()


async def _answer(page: Page, text: str, reply: str, *, outsiders: bool = False) -> None:
    """Comment on the post showing ``text``; the first words where a customer reads are
    confirmed first (``outsiders``)."""
    await (
        page.get_by_role("article")
        .filter(has_text=text)
        .get_by_role("link")
        .filter(has=page.locator("time"))
        .click()
    )
    await expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    await page.locator("#new-comment").fill(reply)
    await page.get_by_role("button", name="Comment", exact=True).click()
    if outsiders:
        await expect(page.get_by_text("Acme Corp").first).to_be_visible()
        await page.get_by_role("button", name="Post it").click()
    await expect(page.locator("p", has_text=reply)).to_be_visible()


async def test_a_new_member_walks_every_first_step(page: Page, server: Server) -> None:
    world = await _world(server)
    await sign_in(page, world["new"]["email"], PASSWORD)
    await _home(page, 0)
    steps = page.locator("#first-steps li")
    await expect(steps).to_have_count(6)

    await _step(page, "Complete your profile")
    await expect(page.get_by_role("heading", name="Edit profile")).to_be_visible()
    await page.get_by_label("Title").fill("Data analyst")
    await page.get_by_label("About you").fill("I turn questions into queries.")
    await page.get_by_label("Skills").fill("SQL, PostgreSQL")
    await page.get_by_role("button", name="Save profile").click()
    await _home(page, 1)
    await _ticked(page, "profile")

    await _step(page, "Post in your team")
    await expect(page).to_have_url(re.compile(f"/spaces/{world['team']['slug']}$"))
    await page.get_by_label("Your post").fill("Hello team, I have just joined!")
    await page.get_by_role("button", name="Post", exact=True).click()
    await _home(page, 2)
    await _ticked(page, "team_post")

    await _step(page, "Answer a colleague's question")
    await expect(page).to_have_url(re.compile(r"/\?filter=unanswered$"))
    await page.goto(f"/spaces/{world['team']['slug']}")
    await _answer(page, world["question"], "Send it over, I will look today.")
    await _home(page, 3)
    await _ticked(page, "answer")

    await _step(page, "Join a community beyond your department")
    await expect(page).to_have_url(re.compile(r"/discover$"))
    await page.goto(f"/spaces/{world['guild']['slug']}")
    await page.get_by_role("button", name="Join", exact=True).click()
    await _home(page, 4)
    await _ticked(page, "join_community")

    await page.goto(f"/spaces/{world['guild']['slug']}")
    await _answer(page, world["far_question"], "A GIN index on the column.")
    await _home(page, 5)
    await _ticked(page, "help_across")

    await _step(page, "Reply to a customer or partner")
    await expect(page).to_have_url(re.compile(f"/spaces/{world['hybrid']['slug']}$"))
    await _answer(page, world["ask"], "Sorry about that, Kim: fixing it now.", outsiders=True)
    await _home(page, 6)
    await expect(page.locator("#first-steps")).to_contain_text("You have taken every first step")

    await page.get_by_role("button", name="Hide this checklist").click()
    await expect(page.get_by_role("status")).to_contain_text("Checklist hidden")
    await page.reload()
    await expect(page.locator("#first-steps-progress")).to_have_count(0)
