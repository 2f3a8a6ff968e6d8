"""Ready to go outward, in Chromium: an administrator finds each unit's figures against the
thresholds on the Analytics page, changes a threshold and sees the table follow; the
champions section is there; the API answers the thresholds now in use."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, Problems, sign_in

pytestmark = pytest.mark.browser


async def _save(page: Page, across: str) -> None:
    section = page.locator("#readiness")
    await section.get_by_text("Change the thresholds").click()
    field = section.get_by_label("Helped across silos (%, at least)")
    await field.fill(across)
    await section.get_by_role("button", name="Save thresholds").click()
    await expect(page).to_have_url(re.compile(r"/analytics\?.*#readiness$"))


async def test_an_admin_reads_readiness_and_changes_a_threshold(
    page: Page, problems: Problems
) -> None:
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics")
    heading = page.get_by_role("heading", name="Ready to go outward")
    await heading.scroll_into_view_if_needed()
    await expect(heading).to_be_visible()
    table = page.locator("#readiness-table")
    rows = table.locator("tbody tr")
    assert await rows.count() >= 3
    await expect(table.get_by_role("columnheader", name="Helped across (≥ 20 %)")).to_be_visible()
    await expect(page.locator("#readiness-caption")).to_contain_text("at least 20 %")
    await expect(page.get_by_role("heading", name="Champions")).to_be_visible()

    # Nobody has to help across silos: every shown unit passes that check.
    await _save(page, "0")
    await expect(page.locator("#readiness-caption")).to_contain_text("at least 0 %")
    across = page.locator("#readiness-table td[data-figure='across_share']")
    assert await across.count() >= 1
    await expect(
        page.locator("#readiness-table td[data-figure='across_share'][data-passes='no']")
    ).to_have_count(0)
    answer = await page.request.get("/api/v1/analytics/readiness")
    assert answer.ok and (await answer.json())["thresholds"]["across_share"] == 0

    # A mistake is explained on the page, and the thresholds stay as they were.
    problems.expected_statuses.add(422)
    section = page.locator("#readiness")
    await section.get_by_text("Change the thresholds").click()
    field = section.get_by_label("Members active (%, at least)")
    await field.evaluate("f => f.removeAttribute('max')")  # past the browser's own check
    await field.fill("150")
    await section.get_by_role("button", name="Save thresholds").click()
    await expect(page.get_by_role("alert")).to_contain_text("a percentage from 0 to 100")

    await page.goto("/analytics")
    await _save(page, "20")  # as it was, for the other journeys
    await expect(page.locator("#readiness-caption")).to_contain_text("at least 20 %")


async def test_readiness_follows_the_filters_without_a_reload(page: Page) -> None:
    """Inside first: at the end of the demo's history some departments are ready to go
    outward; ten months earlier none is. Changing the range's end redraws the section."""
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics")
    ready = page.locator("#readiness-table tr[data-ready='yes']")
    await expect(ready.first).to_be_visible()
    end = date.fromisoformat(await page.locator("#f-to").input_value())
    earlier = end - timedelta(days=300)
    await page.locator("#f-to").fill(earlier.isoformat())
    await page.locator("#f-to").dispatch_event("change")
    await expect(page.locator("#readiness-caption")).to_contain_text(f"up to {earlier.isoformat()}")
    await expect(page.locator("#readiness-table tbody tr").first).to_be_visible()
    await expect(ready).to_have_count(0)
    await expect(page).to_have_url(re.compile(rf"to={earlier.isoformat()}"))
