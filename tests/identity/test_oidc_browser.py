"""The whole OpenID Connect journey in a real Chromium: a real ``atoll serve`` set up for the
test provider; a newcomer clicks "Sign in with Example SSO", logs in at the provider's own
form, and lands in Atoll signed in, with the title, unit and spaces the provider's claims
give."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import Server, browser, chromium
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, OpenIdProvider
from tests.identity.serving import atoll_serving

__all__ = ["browser", "chromium"]  # the browser harness's fixtures, used here too

pytestmark = pytest.mark.browser


@pytest.fixture
async def sso_server(
    fresh_database: Any, tmp_path: Path, op: OpenIdProvider
) -> AsyncIterator[Server]:
    env = {
        "ATOLL_OIDC_ISSUER": op.issuer,
        "ATOLL_OIDC_CLIENT_ID": CLIENT_ID,
        "ATOLL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "ATOLL_OIDC_PROVIDER_NAME": "Example SSO",
        "ATOLL_SSO_UNIT_CLAIM": "unit",
    }
    async with atoll_serving(fresh_database, tmp_path, op.browser_port, env) as server:
        yield server


async def test_a_newcomer_signs_in_with_the_provider(browser: Browser, sso_server: Server) -> None:
    context = await browser.new_context(base_url=sso_server.base_url)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto("/sign-in?next=/people")
        await page.get_by_role("link", name="Sign in with Example SSO").click()

        # The provider's own login form (oidc-provider's development interactions).
        await page.wait_for_url(lambda url: not url.startswith(sso_server.base_url))
        await page.locator("input[name=login]").fill("ana")
        await page.locator("input[name=password]").fill("anything")
        await page.get_by_role("button", name="Sign-in").click()

        # Back in Atoll, signed in, where the sign-in was asked for.
        await page.wait_for_url(f"{sso_server.base_url}/people")
        await expect(page.get_by_role("link", name="SSO Guild")).to_be_visible()
        me = await (await page.request.get("/api/v1/me")).json()
        assert (me["email"], me["name"]) == ("ana.lima@example.com", "Ana Lima")
        await page.goto(f"/people/{me['id']}")
        await expect(page.get_by_text("Platform engineer")).to_be_visible()
        await expect(page.get_by_text("Northwind › Engineering › Platform")).to_be_visible()

        # The session is an ordinary one: it is listed with the others, and signs out.
        await page.goto("/account/sessions")
        await expect(page.get_by_role("main")).to_contain_text("this one")
        assert not errors, errors
    finally:
        await context.close()
