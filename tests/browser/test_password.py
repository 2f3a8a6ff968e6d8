"""Changing your own password in the browser, from the account menu."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, DEMO_PASSWORD, Problems, sign_in

pytestmark = pytest.mark.browser

FIRST = "first password of Nell"
SECOND = "second password of Nell"


async def _new_member(server: Server) -> str:
    """A member of the demo with a password of their own, made by the administrator through
    the API (the demo's people keep theirs for the other tests)."""
    email = f"nell.{secrets.token_hex(3)}@northwind.example"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as api:
        token = await api.post(
            "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD}
        )
        made = await api.post(
            "/api/v1/people",
            json={"name": "Nell Park", "email": email, "password": FIRST, "kind": "member"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert made.status_code == 201, made.text
    return email


async def test_a_member_changes_their_password_from_the_account_menu(
    page: Page, server: Server, problems: Problems
) -> None:
    problems.expected_statuses.add(422)  # the wrong current password, on purpose
    email = await _new_member(server)
    await sign_in(page, email, FIRST)
    await page.get_by_label("Your account menu").click()
    await page.get_by_role("link", name="Change password").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Change your password")

    await page.get_by_label("Current password").fill("not the password")
    await page.get_by_label("New password").fill(SECOND)
    await page.get_by_role("button", name="Change password").click()
    refused = "Your password was not changed. See below."
    await expect(page.get_by_role("alert")).to_have_text(refused)
    await expect(page.get_by_text("That is not your current password.")).to_be_visible()
    await expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")

    await page.get_by_label("Current password").fill(FIRST)
    await page.get_by_label("New password").fill(SECOND)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Where you are signed in")
    await expect(page.get_by_role("status")).to_have_text("Your password is changed.")

    await page.get_by_label("Your account menu").click()
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await sign_in(page, email, SECOND)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nell Park")
