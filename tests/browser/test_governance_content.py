"""Governing content in Chromium: pin a post and unpin it, undo a delete, archive a space
(with its question) and bring it back, close a thread to new comments.

Each journey starts its own community as Ana (its owner) on the shared demo server, so what
it changes is its own."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.helpers import ANA_EMAIL, sign_in

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


async def own_community(page: Page, name: str) -> str:
    """Sign in as Ana and start an open community; return its address."""
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await page.goto("/spaces/new")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("radio", name=re.compile(r"^Community")).check()
    await page.get_by_role("radio", name=re.compile(r"^Open")).check()
    await page.get_by_role("button", name="Start the space").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    return re.sub(r"^https?://[^/]+", "", page.url)


async def write(page: Page, body: str) -> None:
    await page.get_by_label("Your post").fill(body)
    await page.get_by_role("button", name="Post", exact=True).click()
    await expect(card(page, body)).to_be_visible()


def card(page: Page, text: str) -> Locator:
    return page.get_by_role("article").filter(has_text=text)


async def open_post(page: Page, text: str) -> None:
    await card(page, text).get_by_role("link").filter(has=page.locator("time")).click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+"))


async def test_pin_and_unpin(page: Page) -> None:
    space = await own_community(page, unique("Pin Harbour"))
    older, newer = unique("The older post"), unique("The newer post")
    await write(page, older)
    await write(page, newer)
    posts = page.get_by_role("region", name="Posts").get_by_role("article")
    await expect(posts.first).to_contain_text(newer)

    await open_post(page, older)
    await page.get_by_role("button", name=re.compile(r"^Pin in ")).click()
    await page.goto(space)
    await expect(posts.first).to_contain_text(older)
    await expect(posts.first).to_contain_text("Pinned")
    await expect(card(page, newer)).not_to_contain_text("Pinned")

    await open_post(page, older)
    await page.get_by_role("button", name="Unpin").click()
    await page.goto(space)
    await expect(posts.first).to_contain_text(newer)
    await expect(page.get_by_text("Pinned")).to_have_count(0)


async def test_undo_a_delete(page: Page) -> None:
    space = await own_community(page, unique("Undo Cove"))
    body = unique("A post deleted by mistake")
    await write(page, body)
    await open_post(page, body)
    await page.get_by_role("button", name="Delete this post").click()
    dialog = page.get_by_role("dialog", name="Delete this post?")
    await dialog.get_by_role("button", name="Delete the post").click()
    await expect(page.get_by_text("Post deleted.")).to_be_visible()
    await expect(card(page, body)).to_have_count(0)

    await page.get_by_role("button", name="Undo").click()
    await expect(page.get_by_role("status").filter(has_text="The post is back")).to_be_visible()
    await page.goto(space)
    await expect(card(page, body)).to_be_visible()


async def test_archive_and_unarchive(page: Page) -> None:
    name = unique("Archive Reef")
    space = await own_community(page, name)
    await page.goto(space + "?tab=about")
    await page.get_by_role("button", name="Archive this space").click()
    dialog = page.get_by_role("dialog", name=f"Archive {name}?")
    await expect(dialog).to_contain_text("members keep reading")
    await dialog.get_by_role("button", name="Archive the space").click()
    await expect(page.get_by_text("Archived (read-only)")).to_be_visible()
    await expect(page.get_by_label("Your post")).to_have_count(0)

    # listed under the directory's "Archived" filter only
    await page.goto("/spaces?q=" + name.split()[-1])
    await expect(page.get_by_role("link", name=name)).to_have_count(0)
    await page.get_by_label("Archived").check()
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_role("link", name=name)).to_be_visible()

    await page.goto(space + "?tab=about")
    await page.get_by_role("button", name="Unarchive this space").click()
    await expect(page.get_by_role("status").filter(has_text="live again")).to_be_visible()
    await expect(page.get_by_text("Archived (read-only)")).to_have_count(0)
    await page.goto(space)
    await write(page, unique("Back in business"))


async def test_close_a_thread(page: Page) -> None:
    await own_community(page, unique("Close Lagoon"))
    body = unique("Decision made")
    await write(page, body)
    await open_post(page, body)
    await expect(page.get_by_label("Add a comment")).to_be_visible()
    await page.get_by_role("button", name="Close to new comments").click()
    await expect(page.get_by_text("Closed by Ana Silva — no new comments.")).to_be_visible()
    await expect(page.get_by_label("Add a comment")).to_have_count(0)
    await page.get_by_role("button", name="Reopen for comments").click()
    await expect(page.get_by_label("Add a comment")).to_be_visible()
