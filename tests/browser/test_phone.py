"""At a phone's width, pages fit the screen and the navigation stays reachable."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, PHONE, horizontal_overflow, sign_in

pytestmark = pytest.mark.browser


async def test_pages_fit_a_phone_and_the_menu_opens(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    assert await horizontal_overflow(page) <= 0, "home is wider than the phone"

    nav = page.get_by_role("navigation", name="Main")
    people_link = nav.get_by_role("link", name="People", exact=True)
    await expect(people_link).to_be_hidden()  # folded into a drawer on a phone
    await nav.get_by_text("Menu", exact=True).click()
    await expect(people_link).to_be_visible()
    await people_link.click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("People")
    assert await horizontal_overflow(page) <= 0, "the people directory is wider than the phone"

    await page.get_by_role("list", name="People").get_by_role("link").first.click()
    await expect(page).to_have_url(re.compile(r"/people/[^/]+$"))
    await expect(page.get_by_role("heading", name="Skills")).to_be_visible()
    assert await horizontal_overflow(page) <= 0, "a profile is wider than the phone"

    await page.get_by_label("Your account menu").click()
    await expect(page.get_by_role("link", name="Your profile")).to_be_visible()
    assert await horizontal_overflow(page) <= 0, "the open account menu is wider than the phone"


async def test_admin_pages_fit_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, ADMIN_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Admin")
    for path in ("/units", "/admin/people", "/admin/units", "/admin/import"):
        await page.goto(path)
        assert await horizontal_overflow(page) <= 0, f"{path} is wider than the phone"
