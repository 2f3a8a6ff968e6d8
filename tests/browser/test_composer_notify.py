"""In Chromium: the composer says whom a post will notify as the draft is typed, warns before
posting that a mentioned person cannot see the space; the space's owner opens its Insights
tab and the chart is drawn."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ANA_EMAIL, sign_in

pytestmark = pytest.mark.browser


async def _csrf(page: Page) -> str:
    return await page.locator("input[name=csrf_token]").first.input_value()


async def test_the_composer_says_who_will_be_notified(page: Page) -> None:
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    token = await _csrf(page)
    # A private space of Ana's own, and two colleagues: one she adds, one left outside.
    made = await page.request.post(
        "/api/v1/spaces",
        data={
            "name": f"Board {uuid.uuid4().hex[:6]}",
            "kind": "community",
            "visibility": "private",
        },
        headers={"X-CSRF-Token": token},
    )
    assert made.status == 201, await made.text()
    space = await made.json()
    listed = await (await page.request.get("/api/v1/people?limit=50")).json()
    me = await (await page.request.get("/api/v1/me")).json()
    others = [
        p
        for p in listed["items"]
        if p["id"] != me["id"] and p["kind"] == "member" and p["role"] != "admin" and p["is_active"]
    ]
    inside, outside = others[0], others[1]
    added = await page.request.post(
        f"/api/v1/spaces/{space['id']}/members",
        data={"person_id": inside["id"], "role": "member"},
        headers={"X-CSRF-Token": token},
    )
    assert added.status == 201, await added.text()

    await page.goto(f"/spaces/{space['slug']}")
    line = page.locator("#notify-line")
    await expect(line).to_have_text("Notifies nobody.")
    body = page.get_by_label("Your post")
    await body.press_sequentially(f"Thoughts, @[{inside['id']}]?")
    await expect(line).to_contain_text("Notifies 1 person: 1 mentioned.")

    # A mention of someone outside the space: said before posting, and nothing is posted.
    await body.press_sequentially(f" And @[{outside['id']}]")
    warning = line.get_by_role("alert")
    await expect(warning).to_have_text(
        f"{outside['name']} cannot see this space and will not be notified."
    )
    posts = await (await page.request.get(f"/api/v1/spaces/{space['id']}/posts")).json()
    assert posts["items"] == []

    # The owner's Insights tab: the figures, and the chart drawn.
    await page.get_by_role("link", name="Insights").click()
    await expect(page.get_by_role("heading", name="Insights")).to_be_visible()
    await expect(page.locator("#insights-chart canvas")).to_have_count(1)
    await expect(page.locator("#insights-chart")).to_have_attribute("data-drawn", "true")
    await expect(page.locator("[data-figure=posts] dd")).to_have_text("0")
    await page.get_by_role("link", name="Last 7 days").click()
    await expect(page.locator("#insights-chart")).to_have_attribute("data-points", "7")
