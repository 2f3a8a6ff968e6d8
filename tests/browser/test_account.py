"""Journeys of one person's account: sign in, edit the profile, sign out; a wrong password;
the sign-in form by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.helpers import ANA_EMAIL, DEMO_PASSWORD, Problems, sign_in

pytestmark = pytest.mark.browser


async def test_sign_in_edit_profile_and_sign_out(page: Page) -> None:
    await sign_in(page, ANA_EMAIL)
    await expect(page).to_have_url(re.compile(r"/$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")

    await page.get_by_label("Your account menu").click()
    await page.get_by_role("link", name="Edit profile").click()
    await expect(page.get_by_role("heading", name="Edit profile")).to_be_visible()
    await page.get_by_label("Title").fill("Head of Browser Journeys")
    await page.get_by_label("Skills").fill("Playwright, accessibility, Chromium")
    await page.get_by_role("button", name="Save profile").click()

    await expect(page.get_by_role("status")).to_have_text("Your profile is saved.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ana Silva")
    await expect(page.get_by_text("Head of Browser Journeys")).to_be_visible()
    skills = page.get_by_role("list", name="Skills").get_by_role("listitem")
    await expect(skills).to_have_count(3)
    for skill in ("Playwright", "accessibility", "Chromium"):
        await expect(skills.filter(has_text=skill)).to_have_count(1)

    await page.get_by_label("Your account menu").click()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await expect(page.get_by_role("heading", name="Sign in to Atoll")).to_be_visible()
    await page.goto("/")  # the session is over: home asks to sign in again
    await expect(page).to_have_url(re.compile(r"/sign-in(\?next=/)?$"))


async def test_wrong_password_says_so_and_signs_nobody_in(
    page: Page, context: BrowserContext, problems: Problems
) -> None:
    problems.expected_statuses.add(401)
    await sign_in(page, ANA_EMAIL, "not-the-password")

    await expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    await expect(page.get_by_role("heading", name="Sign in to Atoll")).to_be_visible()
    await expect(page.get_by_label("E-mail")).to_have_value(ANA_EMAIL)
    await expect(page.get_by_label("Password")).to_have_value("")
    assert "atoll_session" not in {c["name"] for c in await context.cookies()}
    await page.goto("/people")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/people$"))


async def test_sign_in_with_the_keyboard_only(page: Page) -> None:
    await page.goto("/sign-in")
    email = page.get_by_label("E-mail")
    await expect(email).to_be_focused()  # autofocus: ready to type
    await page.keyboard.type(ANA_EMAIL)
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Password")).to_be_focused()
    await page.keyboard.type(DEMO_PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")

    # On every page the first Tab reaches the skip link, which jumps over the top bar.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    box = await skip.bounding_box()  # it slides into view when focused
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("main")).to_be_focused()
