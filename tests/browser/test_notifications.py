"""The notification bell in Chromium: someone mentions Ana; her bell counts it without a
reload and reads it out politely; the notifications page takes her to the post and marks it
read."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, sign_in

pytestmark = pytest.mark.browser


async def _unread(page: Page) -> int:
    return int(await page.locator("#bell").get_attribute("data-unread") or 0)


async def test_the_bell_counts_a_mention_live_and_leads_to_it(
    page: Page,
    other_page: Callable[[], Awaitable[Page]],
) -> None:
    text = f"Can you review this, @Ana Silva? {uuid.uuid4().hex[:8]}"
    ana = page
    await sign_in(ana, ANA_EMAIL)
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await ana.evaluate("window.__sameDocument = true")  # gone if the page reloads
    before = await _unread(ana)
    bell = ana.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread$"))
    await expect(bell).to_have_accessible_name(f"Notifications, {before} unread")

    ada = await other_page()
    await sign_in(ada, ADMIN_EMAIL)
    await ada.goto("/spaces/python-guild")
    await ada.get_by_label("Your post").fill(text)
    await ada.get_by_role("button", name="Post", exact=True).click()
    await expect(ada.get_by_role("article").filter(has_text="Can you review this")).to_be_visible()

    await expect(bell).to_have_accessible_name(f"Notifications, {before + 1} unread")
    await expect(ana.locator("#bell .bell-count")).to_have_text(str(before + 1))
    await expect(ana.locator("#bell-live")).to_have_text(
        "Ada Admin mentioned you in a post in Python Guild"
    )
    assert await ana.evaluate("window.__sameDocument === true"), "Ana's page reloaded"

    await bell.click()
    await expect(ana).to_have_url(re.compile(r"/notifications$"))
    unread = ana.locator("li.notification.unread").filter(has_text="Ada Admin mentioned you")
    await unread.first.get_by_role("link").click()
    await expect(ana).to_have_url(re.compile(r"/posts/\d+$"))
    await expect(ana.get_by_role("article").filter(has_text="Can you review this")).to_be_visible()
    await expect(
        ana.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread$"))
    ).to_have_accessible_name(f"Notifications, {before} unread")
