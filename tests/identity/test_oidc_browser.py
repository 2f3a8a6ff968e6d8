"""The whole OpenID Connect journey in a real Chromium: a real ``atoll serve`` set up for the
test provider; a newcomer clicks "Sign in with Example SSO", logs in at the provider's own
form, and lands in Atoll signed in, with the title, unit and spaces the provider's claims
give."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.browser.conftest import BIN, Server, _atoll, _wait_healthy, browser, chromium
from tests.identity.conftest import CLIENT_ID, CLIENT_SECRET, OpenIdProvider

__all__ = ["browser", "chromium"]  # the browser harness's fixtures, used here too

pytestmark = pytest.mark.browser

ADMIN, PASSWORD = "admin@example.com", "an admin password 123"


async def _arrange(base_url: str) -> None:
    """The organisation's root, an Engineering unit and the space the "sso-guild" group joins."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        token = (
            await http.post("/api/v1/auth/token", json={"email": ADMIN, "password": PASSWORD})
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        root = await http.post("/api/v1/units", json={"name": "Northwind"})
        assert root.status_code == 201, root.text
        unit = await http.post(
            "/api/v1/units", json={"name": "Engineering", "parent_id": root.json()["id"]}
        )
        assert unit.status_code == 201, unit.text
        space = await http.post(
            "/api/v1/spaces",
            json={"name": "SSO Guild", "kind": "community", "visibility": "private"},
        )
        assert space.status_code == 201 and space.json()["slug"] == "sso-guild", space.text


@pytest.fixture
async def sso_server(
    fresh_database: Any, tmp_path: Any, op: OpenIdProvider
) -> AsyncIterator[Server]:
    database = await fresh_database("sso-browser")
    base_url = f"http://127.0.0.1:{op.browser_port}"
    env = {
        **os.environ,
        "ATOLL_DATABASE_URL": database.url,
        "ATOLL_VAR_DIR": str(tmp_path),
        "ATOLL_SECRET_KEY": "sso-browser-secret-" + "x" * 32,
        "ATOLL_ARGON2_TIME_COST": "1",
        "ATOLL_ARGON2_MEMORY_KIB": "1024",
        "ATOLL_BASE_URL": base_url,
        "ATOLL_REDIS_URL": "",
        "ATOLL_OIDC_ISSUER": op.issuer,
        "ATOLL_OIDC_CLIENT_ID": CLIENT_ID,
        "ATOLL_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "ATOLL_OIDC_PROVIDER_NAME": "Example SSO",
        "ATOLL_SSO_UNIT_CLAIM": "unit",
    }
    await _atoll(env, "migrate")
    await _atoll(env, "create-admin", "--email", ADMIN, "--name", "Admin", "--password", PASSWORD)
    server = Server(base_url=base_url, env=env, log=tmp_path / "serve.log")
    with server.log.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(BIN / "atoll"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(op.browser_port),
            env=env,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await _wait_healthy(base_url, process, server)
        await _arrange(base_url)
        yield server
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


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
