"""An administrator's journeys."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, sign_in

pytestmark = pytest.mark.browser


async def test_admin_adds_a_person(page: Page) -> None:
    name = f"Zora Quill {secrets.token_hex(2)}"
    email = f"zora.{secrets.token_hex(3)}@northwind.example"
    await sign_in(page, ADMIN_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ada Admin")

    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="People & roles").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("People & roles")
    await page.get_by_text("Add a person", exact=True).click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("E-mail", exact=True).fill(email)
    await page.get_by_label("Title", exact=True).fill("Browser test pilot")
    await page.get_by_label("Unit (members)").select_option(index=1)
    await page.get_by_role("button", name="Add person").click()

    await expect(page.get_by_role("status")).to_have_text("Person added.")
    rows = page.get_by_role("table").get_by_role("row")
    await expect(rows.filter(has_text=name)).to_have_count(1)

    await page.get_by_role("searchbox", name="Find").fill(name)
    await page.get_by_role("button", name="Search").click()
    await expect(rows.filter(has_text=email)).to_have_count(1)
    await rows.filter(has_text=name).get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_text("Browser test pilot")).to_be_visible()
