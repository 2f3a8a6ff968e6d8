"""Analytics in Chromium: an administrator opens the page, changes the period and the unit and
sees the charts redraw without a reload, switches the journey to counts and downloads a CSV;
the adoption section shows DAU/MAU, the Community Health Index and the personas, each
explained; a member without the analyst permission is refused, on the page and in the API."""

from __future__ import annotations

import asyncio
import json
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
    "suppressed,stage,rolling_stage,text"
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
    await expect(page.locator("#journey-table tbody th").first).to_have_text(
        re.compile(r"-W\d\d( so far)?$")
    )
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
    await page.locator("#journey-mode").get_by_label("Counts").check()
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


async def test_the_heatmap_switches_to_counts_and_tells_units_apart(page: Page) -> None:
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics?level=3", timeout=30_000)  # teams: many share a name
    chart = page.locator("#network-chart")
    await expect(chart.locator("canvas")).to_have_count(1)
    await expect(chart).to_have_attribute("data-mode", "share")
    await expect(page.locator("#network-caption")).to_contain_text("as a share of the row")
    labels = json.loads(await chart.get_attribute("data-labels") or "[]")
    assert len(labels) >= 5 and len(set(labels)) == len(labels), labels
    rows = await page.locator("#network-table tbody th").all_text_contents()
    assert len(set(rows)) == len(rows)
    # Teams of the same name in different departments read differently.
    names = [row.split(" · ")[0] for row in rows]
    assert len(set(names)) < len(names) and any(" · " in row for row in rows), rows

    heat = page.locator("#heatmap-mode")
    await heat.get_by_label("Counts").check()
    await expect(chart).to_have_attribute("data-mode", "count")
    await expect(page.locator("#network-caption")).to_contain_text("Each cell counts")
    assert await page.locator("#journey-chart").get_attribute("data-mode") == "share"
    await heat.get_by_label("Share of the row").check()
    await expect(chart).to_have_attribute("data-mode", "share")
    # The E-I index is never read alone: its value under random mixing is beside it.
    await expect(page.locator("#network-sentence")).to_contain_text("random mixing would give")
    await expect(page.locator("#bridges-what")).to_contain_text("shortest paths")


PERCENT = re.compile(r"^\d+(\.\d)? %$")


async def test_the_adoption_section_shows_its_figures_and_explains_them(page: Page) -> None:
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics")
    adoption = page.locator("#adoption")
    await expect(adoption.locator("#personas-chart canvas")).to_have_count(1)
    await expect(adoption.locator('dd[data-figure="dau_mau"]')).to_have_text(PERCENT)
    await expect(adoption.locator('dd[data-figure="health_index"]')).to_have_text(PERCENT)
    count = r"(\d+|hidden)"
    await expect(adoption.locator("#personas-caption")).to_have_text(
        re.compile(
            rf"^Personas: {count} engagers?, {count} catalysts?, {count} responders?, "
            rf"{count} broadcasters?, {count} observers?\.$"
        )
    )
    await expect(adoption.locator("#explain-dau-mau")).to_contain_text(
        "DAU/MAU: on an average day of the last 30 days"
    )
    await expect(adoption.locator("#adoption-zone")).to_contain_text("those of UTC")
    # Another range: the figures and the days they look at follow, without a reload.
    await page.evaluate("window.__sameDocument = true")
    await page.get_by_label("From").fill("2026-01-01")
    await page.get_by_label("To", exact=True).fill("2026-03-31")
    await expect(adoption.locator("#explain-health")).to_contain_text(
        "active in the 12 months to 2026-03-31"
    )
    await expect(adoption.locator("#explain-dau-mau")).to_contain_text("(2026-03-02 to 2026-03-31)")
    await expect(adoption.locator("#explain-regular")).to_contain_text("(14 weeks)")
    await expect(adoption.locator('dd[data-figure="health_index"]')).to_have_text(PERCENT)
    await expect(page.locator("#active-chart")).to_have_attribute("data-points", "3")
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"


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


# The journey chart's axis labels as drawn on the canvas: text, and box in canvas pixels.
AXIS_LABELS = """(id) => {
  const chart = window.echarts.getInstanceByDom(document.getElementById(id));
  const found = [];
  for (const el of chart.getZr().storage.getDisplayList(true)) {
    const text = el.style && el.style.text;
    if (!text || el.ignore || el.invisible || !/^\\d{4}-(W\\d\\d|\\d\\d)$/.test(text)) continue;
    const box = el.getBoundingRect().clone();
    const m = el.getComputedTransform();
    if (m) box.applyTransform(m);
    found.push({ text, x: box.x, y: box.y, width: box.width, height: box.height });
  }
  return found;
}"""


def _overlaps(labels: list[dict[str, float]]) -> list[tuple[str, str]]:
    out = []
    for n, a in enumerate(labels):
        for b in labels[n + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            if not apart:
                out.append((str(a["text"]), str(b["text"])))
    return out


@pytest.mark.parametrize(
    ("query", "points"),
    [
        ("from=2025-01-06&to=2026-01-04&period=week", 52),  # a year of ISO weeks
        ("from=2021-01-01&to=2025-12-31&period=month", 60),  # five years of months
    ],
)
async def test_the_journeys_labels_never_overlap_on_a_phone(
    page: Page, query: str, points: int
) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, ADMIN_EMAIL)
    await page.goto(f"/analytics?{query}")
    journey = page.locator("#journey-chart")
    await expect(journey).to_have_attribute("data-points", str(points))
    labels = await page.evaluate(AXIS_LABELS, "journey-chart")
    assert len(labels) >= 3, labels  # some are left out, not all
    assert len(labels) < points
    assert _overlaps(labels) == []
    width = await journey.evaluate("(el) => el.clientWidth")
    assert all(label["x"] >= 0 and label["x"] + label["width"] <= width + 1 for label in labels), (
        width,
        labels,
    )


async def test_a_period_cut_or_not_over_is_marked_so_far(page: Page) -> None:
    await sign_in(page, ADMIN_EMAIL)
    # 8 January 2025 is a Wednesday: the range cuts its week.
    await page.goto("/analytics?from=2025-01-08&to=2025-02-02&period=week")
    journey = page.locator("#journey-chart")
    await expect(journey).to_have_attribute("data-partial", "2025-W02")
    first = page.locator("#journey-table tbody tr").first
    await expect(first).to_have_class("partial")
    await expect(first.locator("th")).to_have_text("2025-W02 so far")
    await expect(page.locator("#journey-table tbody tr.partial")).to_have_count(1)
    await expect(page.locator("#journey-caption")).to_contain_text(
        "So far (not over, or cut by the range): 2025-W02."
    )
    await expect(page.locator("#journey-table thead th").nth(1)).to_have_text("Stage, last 4 weeks")
    # The month not over yet (the default range ends today) is marked too.
    await page.goto("/analytics")
    last = page.locator("#journey-table tbody tr").last
    await expect(last).to_have_class("partial")
    await expect(last.locator(".so-far")).to_have_text("so far")


async def test_a_future_range_says_there_is_no_data_yet(page: Page, problems: Problems) -> None:
    problems.expected_statuses.add(422)  # the API's answer to the range while half typed
    await sign_in(page, ADMIN_EMAIL)
    await page.goto("/analytics?from=2999-01-01&to=2999-03-31")
    await expect(page.locator("#analytics-zone")).to_have_text("Days, weeks and months in UTC.")
    notice = page.locator("#analytics-future")
    await expect(notice).to_have_text("No data yet: this range is in the future.")
    await expect(notice).to_be_visible()
    await expect(page.locator("#analytics")).to_be_hidden()
    # Back to a range that has begun: the charts come back, drawn to their size.
    await page.get_by_label("To", exact=True).fill("2025-03-31")
    await page.get_by_label("From").fill("2025-01-01")
    await expect(notice).to_be_hidden()
    await expect(page.locator("#analytics")).to_be_visible()
    await expect(page.locator("#journey-chart")).to_have_attribute("data-points", "3")
    width = await page.locator("#journey-chart canvas").evaluate("(el) => el.clientWidth")
    assert width > 100
