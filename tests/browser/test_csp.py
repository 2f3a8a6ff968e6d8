"""The strict Content-Security-Policy blocks nothing Atoll itself needs."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, Problems, sign_in

pytestmark = pytest.mark.browser

PAGES = ["/", "/people", "/units", "/admin/people", "/admin/units", "/admin/import"]


async def test_the_harness_notices_a_violation(page: Page, problems: Problems) -> None:
    await page.goto("/sign-in")
    await page.evaluate(  # an inline script: the policy must refuse it, and we must see that
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.append(s); }"
    )
    for _ in range(100):  # the violation event and the console message arrive on their own
        if problems.csp and problems.console:
            break
        await asyncio.sleep(0.05)
    assert problems.csp and "script-src" in problems.csp[0]
    assert any("Content Security Policy" in m for m in problems.console)
    problems.csp.clear()
    problems.console.clear()


async def test_pages_run_under_the_policy_without_errors(page: Page) -> None:
    await sign_in(page, ADMIN_EMAIL)
    for path in PAGES:
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        await page.wait_for_load_state("load")
        assert await page.evaluate("typeof window.htmx") == "object", f"htmx did not run on {path}"
    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="People", exact=True).click()
    await page.get_by_role("list", name="People").get_by_role("link").first.click()
    await expect(page.get_by_role("heading", name="Skills")).to_be_visible()
    # The `page` fixture fails the test on any console error or CSP violation seen above.
