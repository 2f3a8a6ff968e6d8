"""Live pages in Chromium: two people signed in side by side; what one writes appears on the
other's page without a reload — a new post behind the "1 new post" button of the feed, then a
comment in the thread and a reaction count on the post's page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, sign_in

pytestmark = pytest.mark.browser

SAME_DOCUMENT = "window.__sameDocument === true"


async def test_what_one_person_writes_appears_live_for_another(
    page: Page, other_page: Callable[[], Awaitable[Page]]
) -> None:
    text = f"Live from the harbour {uuid.uuid4().hex[:8]}"
    comment = f"Seen it live {uuid.uuid4().hex[:8]}"
    ana = page
    await sign_in(ana, ANA_EMAIL)
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await ana.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # Ada (an administrator) posts in the Python Guild, a space of Ana's: it is for her feed.
    ada = await other_page()
    await sign_in(ada, ADMIN_EMAIL)
    await expect(ada.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Admin")
    await ada.goto("/spaces/python-guild")
    await ada.get_by_label("Your post").fill(text)
    await ada.get_by_role("button", name="Post", exact=True).click()
    await expect(ada.get_by_role("article").filter(has_text=text)).to_be_visible()

    feed = ana.get_by_role("region", name="Your feed")
    new_posts = feed.get_by_role("button", name="1 new post")
    await expect(new_posts).to_be_visible()
    await expect(feed.get_by_role("article").filter(has_text=text)).to_have_count(0)  # not yet
    await new_posts.click()
    card = feed.get_by_role("article").filter(has_text=text)
    await expect(card).to_be_visible()
    await expect(new_posts).to_be_hidden()
    assert await ana.evaluate(SAME_DOCUMENT), "Ana's page reloaded"

    # Both open the post; Ada comments and reacts; Ana's page follows.
    await card.get_by_role("link").filter(has=ana.locator("time")).click()
    await expect(ana).to_have_url(re.compile(r"/posts/\d+$"))
    path = re.sub(r"^https?://[^/]+", "", ana.url)
    await ana.evaluate("window.__sameDocument = true")
    await expect(ana.get_by_role("heading", name="0 comments")).to_be_visible()
    await ada.goto(path)
    await ada.get_by_label("Add a comment").fill(comment)
    await ada.get_by_role("button", name="Comment", exact=True).click()
    await expect(ada.get_by_role("listitem").filter(has_text=comment)).to_be_visible()

    await expect(ana.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()
    thread = ana.get_by_role("region", name="1 comment")
    await expect(thread.get_by_role("listitem").filter(has_text=comment)).to_be_visible()

    post = ada.get_by_role("article").filter(has_text=text)
    await post.get_by_text("+ React").click()
    await post.get_by_role("button", name="React with 🎉").click()
    await expect(post.get_by_role("button", name="🎉 1")).to_be_visible()
    ana_post = ana.get_by_role("article").filter(has_text=text)
    await expect(ana_post.get_by_role("button", name="🎉 1")).to_have_attribute(
        "aria-pressed",
        "false",  # Ada's reaction, not Ana's
    )
    assert await ana.evaluate(SAME_DOCUMENT), "Ana's page reloaded"
