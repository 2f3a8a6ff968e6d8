"""Two-step sign-in and personal access tokens in the browser: a member turns TOTP on from
the account menu (a QR code drawn on the page, a code of the app, recovery codes), signs out,
and signs in again with password and code; and makes a token on the sessions page, copies it,
and revokes it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Page, expect

from atoll.people import otp
from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, DEMO_PASSWORD, Problems, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "the password of Otto"


async def _new_member(server: Server, name: str) -> str:
    """A member of the demo with a password of their own, made by the administrator."""
    email = f"{name.split()[0].lower()}.{secrets.token_hex(3)}@northwind.example"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as api:
        token = await api.post(
            "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": DEMO_PASSWORD}
        )
        made = await api.post(
            "/api/v1/people",
            json={"name": name, "email": email, "password": PASSWORD, "kind": "member"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert made.status_code == 201, made.text
    return email


def _step() -> int:
    return otp.step_of(datetime.now(UTC))


async def test_a_member_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    page: Page, server: Server, problems: Problems
) -> None:
    problems.expected_statuses.add(401)  # the wrong code, on purpose
    email = await _new_member(server, "Otto Berg")
    await sign_in(page, email, PASSWORD)
    await page.get_by_label("Your account menu").click()
    await page.get_by_role("link", name="Two-step sign-in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    await page.get_by_role("button", name="Set up two-step sign-in").click()

    await expect(page.locator("figure.qr svg")).to_be_visible()
    secret = (await page.locator("#totp-secret").text_content() or "").strip()
    base = _step()
    await page.get_by_label("Code", exact=True).fill(otp.code_at(secret, base))
    await page.get_by_role("button", name="Turn on two-step sign-in").click()
    await expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    await expect(
        page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    ).to_have_count(10)

    await page.get_by_label("Your account menu").click()
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await sign_in(page, email, PASSWORD)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    await page.get_by_label("Code", exact=True).fill(otp.code_at(secret, base + 5))
    await page.get_by_role("button", name="Verify and sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("wrong or was used")
    fresh = otp.code_at(secret, max(_step(), base + 1))  # newer than the one that turned it on
    await page.get_by_label("Code", exact=True).fill(fresh)
    await page.get_by_role("button", name="Verify and sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Otto Berg")


async def test_a_member_makes_copies_and_revokes_a_personal_access_token(
    page: Page, server: Server, problems: Problems
) -> None:
    email = await _new_member(server, "Pia Lund")
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await sign_in(page, email, PASSWORD)
    await page.goto("/account/sessions")
    await page.get_by_label("Name").fill("weekly report")
    await page.get_by_label("write — also post, edit and delete as you").check()
    await page.get_by_label("Ends after (days)").fill("30")
    await page.get_by_role("button", name="Make token").click()

    await expect(page.get_by_role("heading", name="Your new token “weekly report”")).to_be_visible()
    token = await page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("atoll_pat_")
    await page.get_by_role("button", name="Copy").click()
    await expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert await page.evaluate("navigator.clipboard.readText()") == token
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as api:
        me = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == email

    await page.goto("/account/sessions")
    row = page.get_by_role("row").filter(has_text="weekly report")
    await expect(row).to_contain_text("read · write")
    await row.get_by_role("button", name="Revoke weekly report").click()
    await expect(page.get_by_role("status")).to_have_text("That session is signed out.")
    await expect(page.get_by_role("row").filter(has_text="weekly report")).to_have_count(0)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as api:
        gone = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401
