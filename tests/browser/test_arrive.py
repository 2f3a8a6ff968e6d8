"""Arriving and coming back, in Chromium against a real server that sends real e-mail: an
administrator invites someone who follows the e-mailed link and lands signed in; someone who
forgot their password gets a link and chooses a new one."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, sign_in
from tests.mailbox import body_of

pytestmark = pytest.mark.browser
INVITED = "Ada Admin invited you to Atoll"  # the demo's administrator


async def _mail_to(server: Server, address: str, subject: str) -> EmailMessage:
    """The e-mail to ``address`` with ``subject``, waiting (up to 10 s) for the server to
    send it."""
    for _ in range(100):
        found = [m for m in server.inbox.to(address) if m["Subject"] == subject]
        if found:
            return found[-1]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no e-mail to {address} about {subject!r} arrived")


def _link(message: EmailMessage, server: Server, path: str) -> str:
    found = re.search(re.escape(server.base_url + path) + r"\S*", body_of(message))
    assert found, body_of(message)
    return found.group(0)


async def test_an_invited_person_follows_the_link_and_lands_signed_in(
    page: Page, server: Server, other_page: Callable[[], Awaitable[Page]]
) -> None:
    email = f"newcomer.{secrets.token_hex(3)}@northwind.example"
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/admin/people")
    await page.get_by_role("link", name="Invite people by e-mail").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Name (optional)").fill("Nico Newcomer")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_role("status")).to_have_text(f"Invitation sent to {email}.")
    await expect(page.get_by_role("row", name=re.compile(email))).to_contain_text("pending")

    link = _link(await _mail_to(server, email, INVITED), server, "/invitations/accept")
    newcomer = await other_page()
    await newcomer.goto(link)
    await expect(newcomer.get_by_role("heading", level=1)).to_have_text("Join Atoll")
    await expect(newcomer.get_by_label("Your name")).to_have_value("Nico Newcomer")
    await newcomer.get_by_label("Password").fill("a password of my own")
    await newcomer.get_by_role("button", name="Join").click()
    await expect(newcomer.get_by_role("heading", level=1)).to_have_text("Welcome, Nico Newcomer")

    await page.reload()
    await expect(page.get_by_role("row", name=re.compile(email))).to_contain_text("accepted")


async def test_a_forgotten_password_is_replaced_from_the_e_mailed_link(
    page: Page, server: Server, other_page: Callable[[], Awaitable[Page]]
) -> None:
    email = f"forgetful.{secrets.token_hex(3)}@northwind.example"
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/invitations")
    form = page.locator("details", has_text="Invite someone")
    if await form.get_attribute("open") is None:  # closed once there are invitations
        await page.get_by_text("Invite someone", exact=True).click()
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Name (optional)").fill("Fern Forgetful")
    await page.get_by_role("button", name="Send invitation").click()
    fern = await other_page()
    await fern.goto(_link(await _mail_to(server, email, INVITED), server, "/invitations/accept"))
    await fern.get_by_label("Password").fill("the first password")
    await fern.get_by_role("button", name="Join").click()
    await expect(fern.get_by_role("heading", level=1)).to_have_text("Welcome, Fern Forgetful")
    # Leave the home page before forgetting the session: its event stream may still be
    # opening, and would then be refused (401) without the cookie.
    await fern.goto("about:blank")
    await fern.context.clear_cookies()

    await fern.goto("/sign-in")
    await fern.get_by_role("link", name="Forgot your password?").click()
    await fern.get_by_label("E-mail").fill(email)
    await fern.get_by_role("button", name="Send me a link").click()
    await expect(fern.get_by_role("status")).to_contain_text("is on its way")
    reset = await _mail_to(server, email, "Reset your Atoll password")
    await fern.goto(_link(reset, server, "/password-reset/confirm"))
    await fern.get_by_label("New password").fill("the second password")
    await fern.get_by_role("button", name="Set the new password").click()
    await expect(fern.get_by_role("status")).to_contain_text("Your new password is set")
    await sign_in(fern, email, "the second password")
    await expect(fern.get_by_role("heading", level=1)).to_have_text("Welcome, Fern Forgetful")
