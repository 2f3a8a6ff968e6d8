"""Destructive actions ask first, in Chromium: deleting a post or a comment, archiving a space
(leaving one: tests/browser/test_search.py). With JavaScript the question opens in a dialog
(focus moves into it, Escape and Cancel keep everything, the confirm button does it); without
JavaScript the same button leads to a confirmation page with a form and a way back.

The ``page`` fixture fails a journey on any console error or Content-Security-Policy
violation, so the dialog's script runs under the strict policy here."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, Server
from tests.browser.helpers import ANA_EMAIL, PHONE, horizontal_overflow, sign_in

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


async def post_in_the_guild(page: Page, body: str) -> str:
    """Sign in as Ana, post ``body`` to Python Guild from the home page, open the post and
    return its address."""
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await page.get_by_label("Share with").select_option(label="Python Guild")
    await page.get_by_label("Your post").fill(body)
    await page.get_by_role("button", name="Post", exact=True).click()
    card = page.get_by_role("article").filter(has_text=body)
    await card.get_by_role("link").filter(has=page.locator("time")).click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    return re.sub(r"^https?://[^/]+", "", page.url)


async def start_a_community(page: Page, name: str) -> None:
    await page.goto("/spaces/new")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("radio", name=re.compile(r"^Community")).check()
    await page.get_by_role("radio", name=re.compile(r"^Open")).check()
    await page.get_by_role("button", name="Start the space").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)


async def test_deleting_a_post_asks_in_a_dialog_and_cancelling_keeps_it(page: Page) -> None:
    body = unique("A post that will go")
    path = await post_in_the_guild(page, body)
    delete = page.get_by_role("button", name="Delete this post")
    dialog = page.get_by_role("dialog", name="Delete this post?")

    await delete.click()
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(
        "It disappears for everyone. You can undo this right after"
    )
    cancel = dialog.get_by_role("button", name="Cancel")
    await expect(cancel).to_be_focused()  # focus moved into the dialog, on the safe choice
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(delete).to_be_focused()  # and back to the button that opened it

    await page.keyboard.press("Enter")  # the keyboard opens it too
    await expect(dialog).to_be_visible()
    await expect(cancel).to_be_focused()
    outline = await cancel.evaluate("(b) => getComputedStyle(b).outlineStyle")
    assert outline != "none", "the focused button shows no focus"
    await cancel.click()
    await expect(dialog).to_be_hidden()
    await page.reload()
    await expect(page.get_by_role("article").filter(has_text=body)).to_be_visible()

    await delete.click()
    await dialog.get_by_role("button", name="Delete the post").click()
    await expect(page).to_have_url(re.compile(r"/spaces/python-guild\?deleted=\d+$"))
    await expect(page.get_by_text(body)).to_have_count(0)
    response = await page.request.get(path)
    assert response.status == 404


async def test_deleting_a_comment_asks_in_a_dialog(page: Page) -> None:
    body = unique("A post with a comment")
    note = unique("A comment that will go")
    await post_in_the_guild(page, body)
    await page.get_by_label("Add a comment").fill(note)
    await page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.get_by_role("listitem").filter(has_text=note)
    await expect(comment).to_be_visible()

    await comment.get_by_role("button", name="Delete the comment by Ana Silva").click()
    dialog = page.get_by_role("dialog", name="Delete this comment?")
    await expect(dialog).to_contain_text("You can undo this right after")
    await dialog.get_by_role("button", name="Delete the comment").click()
    await expect(page.get_by_role("heading", name="0 comments")).to_be_visible()
    await expect(page.get_by_text(note)).to_have_count(0)


async def test_archiving_asks_in_a_dialog_that_fits_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, ANA_EMAIL)
    name = unique("Harbour Watch")
    await start_a_community(page, name)

    await (
        page.get_by_role("navigation", name=f"{name} sections")
        .get_by_role("link", name="About")
        .click()
    )
    await page.get_by_role("button", name="Archive this space").click()
    dialog = page.get_by_role("dialog", name=f"Archive {name}?")
    await expect(dialog).to_contain_text("nobody can post, comment")
    box = await dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert await horizontal_overflow(page) <= 0, "the dialog is wider than the phone"
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("Archived (read-only)")).to_have_count(0)

    await page.get_by_role("button", name="Archive this space").click()
    await dialog.get_by_role("button", name="Archive the space").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("The space is archived"))
    await expect(page.get_by_text("Archived (read-only)")).to_be_visible()


@pytest.fixture
async def no_script(browser: Browser, server: Server) -> AsyncIterator[BrowserContext]:
    """A browser context with JavaScript switched off."""
    ctx = await browser.new_context(
        base_url=server.base_url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        await ctx.close()


async def confirm_page(page: Page, question: str) -> Locator:
    await expect(page.get_by_role("heading", level=1)).to_have_text(question)
    return page.get_by_role("main")


async def test_without_javascript_a_confirmation_page_asks(no_script: BrowserContext) -> None:
    page = await no_script.new_page()
    body = unique("A post deleted without scripts")
    path = await post_in_the_guild(page, body)

    await page.get_by_role("button", name="Delete this post").click()
    await expect(page).to_have_url(re.compile(rf"{path}/delete\??$"))
    main = await confirm_page(page, "Delete this post?")
    await expect(main).to_contain_text("You can undo this right after")
    await expect(main).to_contain_text(body)  # what would go
    await main.get_by_role("link", name="Cancel").click()
    await expect(page).to_have_url(re.compile(rf"{path}$"))
    await expect(page.get_by_role("article").filter(has_text=body)).to_be_visible()

    await page.get_by_role("button", name="Delete this post").click()
    await page.get_by_role("button", name="Delete the post").click()
    await expect(page).to_have_url(re.compile(r"/spaces/python-guild\?deleted=\d+$"))
    await expect(page.get_by_text(body)).to_have_count(0)

    name = unique("Quiet Cove")
    await start_a_community(page, name)
    await page.goto(re.sub(r"^https?://[^/]+", "", page.url) + "?tab=about")
    await page.get_by_role("button", name="Archive this space").click()
    main = await confirm_page(page, f"Archive {name}?")
    await expect(main).to_contain_text("can bring it back (unarchive) later")
    await main.get_by_role("button", name="Archive the space").click()
    await expect(page.get_by_text("Archived (read-only)")).to_be_visible()
