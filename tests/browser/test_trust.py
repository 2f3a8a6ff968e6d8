"""Trust, in Chromium: the API reference works under the Content-Security-Policy and from this
site alone; an image on another host is a link the reader may click, never fetched; names
lose the controls that would reorder them; a form body over the limit gets the "too large"
page."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ANA_EMAIL, DEMO_PASSWORD, Problems, sign_in

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def hosts_contacted(page: Page) -> list[str]:
    """Every host the page's browser sends a request to, from now on."""
    seen: list[str] = []

    def on_request(request: Request) -> None:
        seen.append(urlsplit(request.url).netloc)

    page.on("request", on_request)
    return seen


async def test_the_api_reference_lists_the_operations(page: Page, server: Server) -> None:
    hosts = hosts_contacted(page)
    response = await page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    operations = page.locator(".opblock-summary-path")
    await expect(
        operations.filter(has_text="/api/v1/spaces/{space_id}/posts").first
    ).to_be_visible()
    assert await operations.count() > 50
    await expect(page.get_by_role("heading", name=re.compile(r"^Atoll"))).to_be_visible()
    # Swagger UI came from this site: no CDN, no validator badge
    assert set(hosts) == {urlsplit(server.base_url).netloc}, hosts
    # The `page` fixture fails the test on any console error or CSP violation.


async def post_as_ana(page: Page, body: str) -> str:
    """Post ``body`` in the Python Guild as Ana, through the API; the post's page."""
    token = await page.request.post(
        "/api/v1/auth/token", data={"email": ANA_EMAIL, "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {(await token.json())['access_token']}"}
    spaces = await page.request.get("/api/v1/spaces?q=Python%20Guild", headers=headers)
    guild = next(s for s in (await spaces.json())["items"] if s["name"] == "Python Guild")
    made = await page.request.post(
        f"/api/v1/spaces/{guild['id']}/posts", data={"body": body}, headers=headers
    )
    assert made.status == 201, await made.text()
    return f"/posts/{(await made.json())['id']}"


async def test_an_image_on_another_host_is_a_link_and_is_never_fetched(
    page: Page, server: Server
) -> None:
    hosts = hosts_contacted(page)
    marker = unique("Pixel check")
    body = f"{marker}\n\n![our chart](https://tracker.example/pixel.gif?reader=ana)"
    words = "our chart (image on tracker.example)"
    await sign_in(page, ANA_EMAIL)
    await page.get_by_label("Your post").fill(body)
    await page.get_by_role("button", name="Preview").click()  # rendered by the server
    preview = page.locator(".preview-slot .preview")
    link = preview.get_by_role("link", name=words)
    await expect(link).to_have_attribute("href", "https://tracker.example/pixel.gif?reader=ana")
    assert await preview.locator("img").count() == 0

    await page.goto(await post_as_ana(page, body))
    card = page.get_by_role("article").filter(has_text=marker)
    await expect(card.get_by_role("link", name=words)).to_be_visible()
    assert await card.locator("img").count() == 0
    assert set(hosts) == {urlsplit(server.base_url).netloc}, hosts  # tracker.example: never


async def test_a_space_name_loses_the_controls_that_would_reorder_it(page: Page) -> None:
    name = unique("Payroll")
    await sign_in(page, ANA_EMAIL)
    await page.goto("/spaces/new")
    # U+202E would show "Payroll 1234abcd" backwards from here on; U+200B hides in the name
    await page.get_by_label("Name", exact=True).fill(f"\u202e{name}\u200b")
    await page.get_by_role("radio", name=re.compile(r"^Community")).check()
    await page.get_by_role("radio", name=re.compile(r"^Open")).check()
    await page.get_by_role("button", name="Start the space").click()
    heading = page.get_by_role("heading", level=1)
    await expect(heading).to_have_text(name)
    assert await heading.text_content() == name


async def test_a_form_body_over_the_limit_gets_the_too_large_page(
    page: Page, problems: Problems
) -> None:
    problems.expected_statuses.add(413)
    await sign_in(page, ANA_EMAIL)
    await page.goto(await post_as_ana(page, unique("Soon edited")) + "/edit")
    # a client that ignores the form's maxlength sends more than ATOLL_MAX_REQUEST_KB
    await page.get_by_label("Post", exact=True).evaluate(
        "(area) => { area.removeAttribute('maxlength'); area.value = 'x'.repeat(1100 * 1024); }"
    )
    async with page.expect_navigation() as navigation:
        await page.get_by_role("button", name="Save").click()
    response = await navigation.value
    assert response is not None and response.status == 413
    await expect(page.get_by_role("heading", name="Too large")).to_be_visible()
    await expect(page.get_by_text("the largest JSON or form body accepted is 1 MB")).to_be_visible()
