"""Search and discovery in Chromium: pick a person from the top bar's type-ahead with the
keyboard; search a quoted phrase and open the post and the comment it finds; follow a
"communities for you" suggestion and join; and the search page on a phone.

The ``page`` fixture fails each journey on any console error or Content-Security-Policy
violation, so the type-ahead's script runs under the strict policy here too."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ANA_EMAIL, PHONE, horizontal_overflow, sign_in

pytestmark = pytest.mark.browser


async def _signed_in_as_ana(page: Page) -> None:
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")


async def test_pick_a_person_from_the_type_ahead_with_the_keyboard(page: Page) -> None:
    await _signed_in_as_ana(page)
    box = page.get_by_role("combobox", name="Search Atoll")
    await expect(box).to_have_attribute("aria-expanded", "false")
    await box.press_sequentially("Ada Adm", delay=40)

    listbox = page.get_by_role("listbox", name="Suggestions")
    await expect(listbox).to_be_visible()
    await expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    await expect(options.first).to_contain_text("Ada Admin")
    await expect(options.first).to_contain_text("Person")
    await expect(options.last).to_have_text("Search for “Ada Adm” everywhere")

    await box.press("ArrowDown")
    await expect(options.first).to_have_attribute("aria-selected", "true")
    first_id = await options.first.get_attribute("id")
    await expect(box).to_have_attribute("aria-activedescendant", first_id or "?")
    await box.press("ArrowUp")  # from the first option up wraps to the last
    await expect(options.last).to_have_attribute("aria-selected", "true")
    await box.press("ArrowDown")  # and back to the first
    await box.press("Escape")
    await expect(listbox).to_be_hidden()
    await expect(box).to_have_attribute("aria-expanded", "false")

    await box.press("ArrowDown")  # the options come back, the first highlighted
    await expect(listbox).to_be_visible()
    await expect(options.first).to_have_attribute("aria-selected", "true")
    await box.press("Enter")
    await expect(page).to_have_url(re.compile(r"/people/\d+$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ada Admin")


async def test_the_type_ahead_works_by_mouse_and_enter_alone_searches(page: Page) -> None:
    await _signed_in_as_ana(page)
    box = page.get_by_role("combobox", name="Search Atoll")
    await box.press_sequentially("Python Gu", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    space = listbox.get_by_role("option").filter(has_text="Space").filter(has_text="Python Guild")
    await space.click()
    await expect(page).to_have_url(re.compile(r"/spaces/python-guild$"))

    box = page.get_by_role("combobox", name="Search Atoll")
    await box.fill("python")
    await box.press("Enter")  # no option chosen: the form searches everything
    await expect(page).to_have_url(re.compile(r"/search\?q=python$"))
    await expect(page).to_have_title("Search · python · Atoll")
    await expect(page.get_by_label("Search for")).to_have_value("python")


async def test_search_a_phrase_and_open_the_post_and_the_comment(page: Page) -> None:
    tag = "t" + uuid.uuid4().hex[:8]
    together = f"Minutes: the {tag} lighthouse review moves to Friday"
    apart = f"Review of the {tag} budget, and the lighthouse is repainted"
    note = f"Bring the {tag} fog horn drill checklist"
    await _signed_in_as_ana(page)
    for body in (together, apart):
        await page.get_by_label("Share with").select_option(label="Python Guild")
        await page.get_by_role("radio", name="Update", exact=True).check()
        await page.get_by_label("Your post").fill(body)
        await page.get_by_role("button", name="Post", exact=True).click()
        await expect(page.get_by_role("article").filter(has_text=body)).to_be_visible()

    box = page.get_by_role("combobox", name="Search Atoll")
    await box.fill(f'"{tag} lighthouse review"')
    await box.press("Enter")
    results = page.get_by_role("list", name="Results")
    await expect(results.get_by_role("listitem")).to_have_count(1)  # the words apart: no
    hit = results.get_by_role("listitem").first
    await expect(hit).to_contain_text("Post")
    await expect(hit).to_contain_text("in Python Guild")
    await expect(hit.locator("mark").first).to_have_text(re.compile(tag, re.I))
    await hit.get_by_role("link", name=together).click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    await expect(page.get_by_role("article").filter(has_text=together)).to_be_visible()

    await page.get_by_label("Add a comment").fill(note)
    await page.get_by_role("button", name="Comment", exact=True).click()
    await expect(page.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()

    await page.goto("/search?q=" + f'"fog horn drill" {tag}')
    comment_hit = page.get_by_role("list", name="Results").get_by_role("listitem")
    await expect(comment_hit).to_have_count(1)
    await expect(comment_hit).to_contain_text("Comment")
    await comment_hit.get_by_role("link", name=re.compile("^Comment on")).click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+#comment-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    await expect(page.locator(f"#{anchor}")).to_contain_text(note)
    await expect(page.locator(f"#{anchor}")).to_be_in_viewport()


async def test_follow_a_community_suggestion_and_join(page: Page) -> None:
    await _signed_in_as_ana(page)
    # The home page's right column loads after the feed: suggestions with their reasons.
    aside = page.get_by_role("complementary", name="Suggestions for you")
    await expect(aside.get_by_role("heading", name="Communities for you")).to_be_visible()
    await expect(aside.get_by_role("listitem").first).to_be_visible()
    await expect(aside).not_to_have_attribute("aria-busy", "true")
    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="Discover", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Discover")
    cards = page.get_by_role("list", name="Communities for you").get_by_role("listitem")
    joinable = cards.filter(has=page.get_by_role("button", name=re.compile(r"^Join ")))
    await expect(joinable.first).to_be_visible()
    card = joinable.first
    name = (await card.get_by_role("link").first.inner_text()).strip()
    await expect(card.locator(".reasons li").first).not_to_be_empty()  # says why

    await card.get_by_role("button", name=f"Join {name}").click()
    await expect(page).to_have_url(re.compile(r"/spaces/[^/?]+\?joined=1$"))
    await expect(page.get_by_role("status")).to_have_text(f"Welcome to {name}.")
    await expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
    ).to_be_visible()
    await page.goto("/discover")  # a space one belongs to is no longer suggested
    suggested = page.get_by_role("list", name="Communities for you")
    await expect(suggested.get_by_role("link", name=name, exact=True)).to_have_count(0)

    # Leave again, so the other journeys find Ana as the demo made her.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    await page.get_by_role("button", name="Leave").click()
    leave = page.get_by_role("dialog", name=f"Leave {name}?")  # it asks first
    await expect(leave).to_contain_text("join it again at any time")
    await leave.get_by_role("button", name="Leave the space").click()
    await expect(page).to_have_url(re.compile(r"\?left=1$"))


async def test_the_search_page_and_the_type_ahead_fit_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await _signed_in_as_ana(page)
    box = page.get_by_role("combobox", name="Search Atoll")
    await expect(box).to_be_visible()
    await box.press_sequentially("Ana", delay=40)
    await expect(page.get_by_role("listbox", name="Suggestions")).to_be_visible()
    assert await horizontal_overflow(page) <= 0, "the open type-ahead is wider than the phone"
    await page.goto("/search?q=python")
    await expect(
        page.get_by_role("list", name="Results").get_by_role("listitem").first
    ).to_be_visible()
    assert await horizontal_overflow(page) <= 0, "search results are wider than the phone"
    await page.goto("/search")
    await expect(page.get_by_role("heading", name="How to search")).to_be_visible()
    assert await horizontal_overflow(page) <= 0, "the search tips are wider than the phone"


async def test_more_results_are_appended_in_place(page: Page) -> None:
    await _signed_in_as_ana(page)
    await page.goto("/search?q=customer&type=post")  # more than two pages of demo posts
    results = page.get_by_role("list", name="Results").locator("li.result")
    await expect(results).to_have_count(20)
    await page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    await page.get_by_role("link", name="More results").click()
    await expect(results).to_have_count(40)
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
    links = await results.locator("a.result-title").evaluate_all("(as) => as.map((a) => a.href)")
    assert len(set(links)) == 40, "a result came twice"
