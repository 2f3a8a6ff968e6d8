"""Analytics in Chromium: an administrator opens the page, changes the period and the unit and
sees the charts redraw without a reload, switches the journey to counts and downloads a CSV; a
member without the analyst permission is refused, on the page and in the API."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import (
    ADMIN_EMAIL,
    ANA_EMAIL,
    PHONE,
    Problems,
    horizontal_overflow,
    sign_in,
)

pytestmark = pytest.mark.browser

MATRIX_HEAD = (
    "section,period,start,end,partial,scope,tie,interactions,ties,share,total,people,"
    "suppressed,stage,rolling_stage"
)


async def test_an_admin_filters_the_charts_and_downloads_a_csv(page: Page) -> None:
    await sign_in(page, ADMIN_EMAIL)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    journey = page.locator("#journey-chart")
    await expect(journey).to_have_attribute("data-period", "month")
    await expect(journey.locator("canvas")).to_have_count(1)  # ECharts drew into it
    await expect(page.locator("#network-chart canvas")).to_have_count(1)
    await expect(page.locator("#active-chart canvas")).to_have_count(1)
    await expect(page.locator("#matrix-sentence")).to_contain_text("Northwind")
    await page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # The period: the journey and the adoption chart redraw by week; the URL follows.
    await page.get_by_label("Journey by").select_option("week")
    await expect(journey).to_have_attribute("data-period", "week")
    await expect(page.locator("#journey-caption")).to_contain_text("weeks of interactions")
    await expect(page.locator("#active-chart")).to_have_attribute("data-period", "week")
    await expect(page.locator("#journey-table tbody th").first).to_have_text(re.compile(r"-W\d\d$"))
    await expect(page).to_have_url(re.compile(r"/analytics\?.*period=week"))

    # The unit: the sentence names it, the download links carry it.
    unit = page.get_by_label("Unit", exact=True)
    await unit.select_option(index=1)
    chosen = (await unit.locator("option:checked").text_content() or "").strip()
    unit_id = await unit.input_value()
    await expect(page.locator("#matrix-sentence")).to_contain_text(chosen)
    await expect(page).to_have_url(re.compile(rf"unit_id={unit_id}"))
    csv_link = page.locator("#matrix").get_by_role("link", name="Download CSV")
    await expect(csv_link).to_have_attribute("href", re.compile(rf"unit_id={unit_id}.*week"))

    # The level of the tree the heatmap compares (the network takes longest to compute).
    await page.get_by_label("Compare units by").select_option("1")
    await expect(page.locator("#network-caption")).to_contain_text(
        "at the division level", timeout=30_000
    )
    await expect(page).to_have_url(re.compile(r"level=1"), timeout=30_000)

    # Counts instead of shares.
    await page.get_by_label("Counts").check()
    await expect(journey).to_have_attribute("data-mode", "count")
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"

    async with page.expect_download() as info:
        await csv_link.click()
    download = await info.value
    assert re.fullmatch(
        r"atoll-value-matrix-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv", download.suggested_filename
    )
    saved = Path(await download.path())
    lines = (await asyncio.to_thread(saved.read_text)).splitlines()
    assert lines[0] == MATRIX_HEAD
    periods = {line.split(",")[1] for line in lines[1:] if line.startswith(("journey", "range"))}
    assert "total" in periods and all(p == "total" or "-W" in p for p in periods)

    # Without JavaScript's help the same filters come back from the address.
    await page.reload(timeout=30_000)  # the page computes the network at level 1 again
    await expect(page.get_by_label("Journey by")).to_have_value("week")
    await expect(page.get_by_label("Unit", exact=True)).to_have_value(unit_id)
    await expect(page.get_by_label("Compare units by")).to_have_value("1")
    await expect(journey).to_have_attribute("data-period", "week")


async def test_a_member_without_the_permission_is_refused(page: Page, problems: Problems) -> None:
    problems.expected_statuses.add(403)
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Analytics")).to_have_count(0)
    answer = await page.goto("/analytics")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    await expect(
        page.get_by_text("Only administrators and analysts can open Analytics.")
    ).to_be_visible()
    api = await page.request.get("/api/v1/analytics/value-matrix")
    assert api.status == 403
    assert api.headers["content-type"].startswith("application/problem+json")
    csv = await page.request.get("/analytics/value-matrix.csv")
    assert csv.status == 403


async def test_bad_dates_get_a_readable_message_and_keep_the_charts(
    page: Page, problems: Problems
) -> None:
    problems.expected_statuses.add(422)  # the API's answer to the bad range, shown on the page
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics")
    sentence = await page.locator("#matrix-sentence").text_content()
    assert sentence
    # A "to" before the default "from" (a year back): no valid range is ever fetched between.
    await page.get_by_label("To", exact=True).fill("2000-01-01")
    error = page.get_by_role("alert")
    await expect(error).to_contain_text("These filters cannot be shown. from: must be before 'to'")
    await expect(page.locator("#matrix-sentence")).to_have_text(sentence)
    await page.get_by_label("From").fill("2026-06-01")
    await page.get_by_label("To", exact=True).fill("2026-06-30")
    await expect(error).to_be_hidden()
    await expect(page).to_have_url(re.compile(r"from=2026-06-01&to=2026-06-30"))


async def test_analytics_fits_a_phone(page: Page) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics")
    await expect(page.locator("#network-chart canvas")).to_have_count(1)
    assert await horizontal_overflow(page) <= 0, "Analytics is wider than the phone"
    await page.get_by_label("Journey by").select_option("week")
    await expect(page.locator("#journey-chart")).to_have_attribute("data-period", "week")
    assert await horizontal_overflow(page) <= 0, "Analytics redrawn is wider than the phone"
