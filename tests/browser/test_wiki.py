"""The wiki in Chromium: write a page, link a page that does not exist yet and write it from
its red link, edit, read the diff, restore; then two people at once — a reader is told live
that the page changed, and of two editors the second gets the merge view, merges and saves."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import (
    ADMIN_EMAIL,
    ANA_EMAIL,
    PHONE,
    Problems,
    horizontal_overflow,
    sign_in,
)

pytestmark = pytest.mark.browser

SPACE = "/spaces/python-guild"  # a demo space of Ana's; Ada administers everything


async def _save(page: Page, body: str, summary: str = "") -> None:
    await page.get_by_label("Text", exact=True).fill(body)
    if summary:
        await page.get_by_label("What did you change?").fill(summary)
    await page.get_by_role("button", name="Save", exact=True).click()


async def test_write_link_edit_diff_and_restore(page: Page) -> None:
    tag = uuid.uuid4().hex[:6]
    home, checklist = f"Guild handbook {tag}", f"Release checklist {tag}"
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await page.goto(SPACE)
    await (
        page.get_by_role("navigation", name="Python Guild sections")
        .get_by_role("link", name="Wiki")
        .click()
    )
    await expect(page).to_have_url(re.compile(r"/spaces/python-guild/wiki$"))
    await expect(page.get_by_role("heading", name="Wiki", level=1)).to_be_visible()

    # A new page, linking one that does not exist yet.
    main = page.locator(".wiki-main")
    await main.get_by_role("textbox").fill(home)
    await main.get_by_role("button", name="Create page").click()
    await expect(page.get_by_label("Title", exact=True)).to_have_value(home)
    await page.get_by_label("Text", exact=True).fill(f"Before a release, read the [[{checklist}]].")
    await page.get_by_role("button", name="Preview").click()
    preview = page.locator("#wiki-preview")
    await expect(preview.get_by_role("link", name=checklist)).to_have_class("wikilink missing")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("heading", name=home, level=1)).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("Saved as revision 1")
    red = page.locator(".wiki-body").get_by_role("link", name=checklist)
    await expect(red).to_have_class("wikilink missing")

    # Follow the red link: the editor opens with the title filled in.
    await red.click()
    await expect(page.get_by_role("heading", name="New page")).to_be_visible()
    await expect(page.get_by_label("Title", exact=True)).to_have_value(checklist)
    await page.get_by_label("Parent page").select_option(label=home)
    await _save(page, "1. Tag the release\n2. Write the notes")
    await expect(page.get_by_role("heading", name=checklist, level=1)).to_be_visible()
    linked = page.get_by_role("region", name="Linked from")
    await expect(linked.get_by_role("link", name=home)).to_be_visible()
    tree = page.get_by_role("navigation", name="Pages of this wiki")
    await expect(tree.get_by_role("link", name=checklist)).to_have_attribute("aria-current", "page")

    # The handbook's link is a plain (blue) link now, without anyone saving it again.
    await tree.get_by_role("link", name=home).click()
    blue = page.locator(".wiki-body").get_by_role("link", name=checklist)
    await expect(blue).to_have_class("wikilink")
    await blue.click()

    # Edit, then read the diff from the history.
    await page.get_by_role("link", name="Edit", exact=True).click()
    await _save(page, "1. Tag the release\n2. Write the release notes\n3. Ship", "More steps")
    await expect(page.locator(".wiki-body li")).to_have_count(3)
    await page.get_by_role("link", name="history", exact=True).click()
    await expect(page.get_by_role("heading", name=f"History of “{checklist}”")).to_be_visible()
    rows = page.get_by_role("row")
    await expect(rows.filter(has_text="More steps")).to_have_count(1)
    await expect(page.get_by_label("Compare from revision 1")).to_be_checked()
    await expect(page.get_by_label("Compare to revision 2")).to_be_checked()
    await page.get_by_role("button", name="Compare selected revisions").click()
    await expect(
        page.get_by_role("heading", name="Changes from revision 1 to revision 2")
    ).to_be_visible()
    diff = page.get_by_role("table")
    await expect(diff.locator("ins.word")).to_have_text(["release "])
    await expect(diff.locator("ins").filter(has_text="3. Ship")).to_have_count(1)
    await expect(diff).to_contain_text("added:")  # said in words, not by colour alone
    await page.set_viewport_size(PHONE)  # on a phone the diff fits, the tree goes below
    assert await horizontal_overflow(page) == 0
    await page.set_viewport_size({"width": 1280, "height": 900})

    # Restore revision 1: a new revision 3 equal to it.
    await page.get_by_role("link", name="History").click()
    await page.get_by_role("button", name="Restore revision 1").click()
    await expect(page.get_by_role("status")).to_contain_text("revision 3 is a copy of revision 1")
    await expect(page.locator(".wiki-body")).to_contain_text("Write the notes")
    await expect(page.locator(".wiki-body")).not_to_contain_text("Ship")


async def test_a_reader_is_told_live_and_the_second_editor_merges(
    page: Page, other_page: Callable[[], Awaitable[Page]], problems: Problems
) -> None:
    problems.expected_statuses.add(409)  # the merge view answers 409 Conflict
    title = f"Meeting notes {uuid.uuid4().hex[:6]}"
    slug = "meeting-notes-" + title.rsplit(" ", 1)[1]
    path = f"{SPACE}/wiki/{slug}"
    ana = page
    await sign_in(ana, ANA_EMAIL)
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await ana.goto(f"{SPACE}/wiki/{slug}/edit?title={title.replace(' ', '+')}")
    await _save(ana, "Agenda: budget\nOwner: Ana")
    await expect(ana.get_by_role("heading", name=title, level=1)).to_be_visible()

    ada = await other_page()
    await sign_in(ada, ADMIN_EMAIL)
    await expect(ada.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Admin")
    await ada.goto(path)
    await expect(ada.get_by_role("heading", name=title, level=1)).to_be_visible()
    await ada.evaluate("window.__sameDocument = true")

    # Ana saves while Ada reads: Ada is told, and her text does not move under her.
    await ana.get_by_role("link", name="Edit", exact=True).click()
    await _save(ana, "Agenda: budget, hiring\nOwner: Ana")
    await expect(ana.get_by_role("status")).to_contain_text("Saved as revision 2")
    notice = ada.locator(".wiki-live")
    await expect(notice).to_contain_text("This page was changed by Ana Silva")
    await expect(ada.locator(".wiki-body")).not_to_contain_text("hiring")
    assert await ada.evaluate("window.__sameDocument === true"), "Ada's page reloaded"
    await notice.get_by_role("link", name="reload").click()
    await expect(ada.locator(".wiki-body")).to_contain_text("hiring")

    # Both open the editor at revision 2; Ana saves first, Ada second.
    await ada.get_by_role("link", name="Edit", exact=True).click()
    await ana.get_by_role("link", name="Edit", exact=True).click()
    await ada.get_by_label("Text", exact=True).fill("Agenda: budget, hiring\nOwner: Ada")
    await _save(ana, "Agenda: budget, hiring, offsite\nOwner: Ana")
    await expect(ana.get_by_role("status")).to_contain_text("Saved as revision 3")
    await expect(ada.locator(".wiki-editor .wiki-live")).to_contain_text(
        "Ana Silva saved revision 3 of this page while you are editing"
    )
    await ada.get_by_role("button", name="Save", exact=True).click()

    merge = ada.get_by_role("region", name="Someone saved this page while you were editing")
    await expect(merge).to_be_visible()
    await expect(merge.get_by_role("alert")).to_contain_text("Ana Silva saved revision 3")
    side = merge.get_by_role("table").first
    await expect(
        side.get_by_role("columnheader", name="Their version (revision 3)")
    ).to_be_visible()
    await expect(side.locator("del.word")).to_contain_text(["offsite", "Ana"])
    await expect(side.locator("ins.word")).to_contain_text(["Ada"])
    await expect(ada.get_by_label("Text", exact=True)).to_have_value(
        "Agenda: budget, hiring\nOwner: Ada"
    )
    await ada.set_viewport_size(PHONE)  # the two versions side by side still fit a phone
    assert await horizontal_overflow(ada) == 0
    await ada.set_viewport_size({"width": 1280, "height": 900})
    await ada.get_by_label("Text", exact=True).fill("Agenda: budget, hiring, offsite\nOwner: Ada")
    await ada.get_by_role("button", name="Save merged version").click()
    await expect(ada.get_by_role("status")).to_contain_text("Saved as revision 4")
    await expect(ada.locator(".wiki-body")).to_contain_text("offsite")
    await expect(ada.locator(".wiki-body")).to_contain_text("Owner: Ada")
