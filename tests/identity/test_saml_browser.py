"""The SAML journey in a real Chromium: a real ``atoll serve`` set up for a pysaml2 IdP the
test runs; a newcomer clicks "Sign in with Example SAML", logs in at the IdP, whose page
posts the signed answer back to Atoll, and lands signed in with the attributes' title, unit
and space."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import Server, browser, chromium
from tests.identity.conftest import free_port
from tests.identity.saml_idp import run_idp
from tests.identity.serving import atoll_serving

__all__ = ["browser", "chromium"]  # the browser harness's fixtures, used here too

pytestmark = pytest.mark.browser


@pytest.fixture
async def saml_server(fresh_database: Any, tmp_path: Path) -> AsyncIterator[Server]:
    (tmp_path / "idp").mkdir()
    async for idp in run_idp(tmp_path / "idp"):
        metadata = tmp_path / "idp-metadata.xml"
        metadata.write_text(idp.metadata())
        env = {
            "ATOLL_SAML_IDP_METADATA": str(metadata),
            "ATOLL_SAML_PROVIDER_NAME": "Example SAML",
            "ATOLL_SSO_UNIT_CLAIM": "unit",
        }
        async with atoll_serving(fresh_database, tmp_path, free_port(), env) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
                idp.trust((await http.get("/auth/saml/metadata")).text)
            yield server


async def test_a_newcomer_signs_in_with_the_saml_idp(browser: Browser, saml_server: Server) -> None:
    context = await browser.new_context(base_url=saml_server.base_url)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    try:
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto("/sign-in?next=/people")
        await page.get_by_role("link", name="Sign in with Example SAML").click()

        await expect(page.get_by_role("heading", name="Test IdP")).to_be_visible()
        await page.get_by_label("User").fill("ana")
        await page.get_by_role("button", name="Log in").click()  # its answer posts itself

        await page.wait_for_url(f"{saml_server.base_url}/people")
        await expect(page.get_by_role("link", name="SSO Guild")).to_be_visible()
        me = await (await page.request.get("/api/v1/me")).json()
        assert (me["email"], me["name"], me["title"]) == (
            "ana.lima@example.com",
            "Ana Lima",
            "Platform engineer",
        )
        await page.goto(f"/people/{me['id']}")
        await expect(page.get_by_text("Northwind › Engineering › Platform")).to_be_visible()
        assert not errors, errors
    finally:
        await context.close()
