"""Journeys through spaces and conversations in Chromium: start a community and mention
someone, react and comment, ask and accept an answer, an external guest's narrow view, a
signed-out visitor in the public space, the audience line's warning, and Markdown payloads
that must not run.

All journeys share one server and database: what they create carries a unique name."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Dialog, Locator, Page, expect

from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, Problems, sign_in
from tests.kit.test_markdown import PAYLOADS

pytestmark = pytest.mark.browser

MARTA_EMAIL = "marta@acme.example"
NAMES = {ANA_EMAIL: "Ana Silva", ADMIN_EMAIL: "Ada Admin", MARTA_EMAIL: "Marta Kühn"}
OPEN_HOUSE = "/spaces/northwind-open-house"

NewPage = Callable[[], Awaitable[Page]]


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


async def signed_in(page: Page, email: str) -> None:
    await sign_in(page, email)
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {NAMES[email]}")


def post_card(where: Page | Locator, text: str) -> Locator:
    return where.get_by_role("article").filter(has_text=text)


async def write_post(page: Page, body: str, *, kind: str = "Update") -> None:
    """Write and publish a post with the composer on the current page (home or a space)."""
    await page.get_by_role("radio", name=kind, exact=True).check()
    await page.get_by_label("Your post").fill(body)
    await page.get_by_role("button", name="Post", exact=True).click()


async def open_post(page: Page, text: str) -> str:
    """Open the page of the post showing ``text`` (from a feed); return its path."""
    card = post_card(page, text)
    await expect(card).to_have_count(1)
    await card.get_by_role("link").filter(has=page.locator("time")).click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+$"))
    return re.sub(r"^https?://[^/]+", "", page.url)


async def test_start_a_community_and_the_mentioned_person_sees_the_post(
    page: Page, other_page: NewPage
) -> None:
    name = unique("Tide Pool Readers")
    text = unique("The tide tables for next month are up")
    await signed_in(page, ANA_EMAIL)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Spaces").click()
    await page.get_by_role("link", name="Start a space").click()
    await expect(page.get_by_role("heading", name="Start a space")).to_be_visible()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("radio", name=re.compile(r"^Community")).check()
    await page.get_by_role("radio", name=re.compile(r"^Open")).check()
    await page.get_by_label("What it is for").fill("Reading the sea, together.")
    await page.get_by_role("button", name="Start the space").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_text("Open · Community")).to_be_visible()
    await expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name)
    ).to_be_visible()
    await expect(page.get_by_text("No posts yet.")).to_be_visible()

    # The @mention type-ahead: type "@" and the first letters, choose with the keyboard.
    body = page.get_by_label("Your post")
    await body.click()
    await body.press_sequentially(f"{text} — thanks @Ada")
    suggestions = page.get_by_role("listbox", name="People to mention")
    option = suggestions.get_by_role("option", name=re.compile(r"^Ada Admin"))
    await expect(option).to_be_visible()
    await expect(option).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("Enter")
    await expect(suggestions).to_be_hidden()
    await expect(body).to_have_value(f"{text} — thanks @Ada Admin ")
    await body.press_sequentially("for the data!")
    await page.get_by_role("button", name="Post", exact=True).click()

    card = post_card(page, text)
    await expect(card).to_be_visible()
    await expect(card.get_by_role("link", name="@Ada Admin")).to_have_attribute(
        "href", re.compile(r"^/people/\d+$")
    )

    # Ada is not a member of the new community: the mention alone brings it to her feed.
    ada = await other_page()
    await signed_in(ada, ADMIN_EMAIL)
    feed = ada.get_by_role("region", name="Your feed")
    in_feed = post_card(feed, text)
    await expect(in_feed).to_be_visible()
    await expect(in_feed.get_by_role("link", name="Ana Silva")).to_be_visible()
    await expect(in_feed.get_by_role("link", name=name)).to_be_visible()
    await expect(in_feed.get_by_role("link", name="@Ada Admin")).to_be_visible()


async def test_react_and_comment_on_a_post(page: Page) -> None:
    text = unique("Who is coming to the Python meetup on Thursday?")
    comment = unique("Count me in, I will bring the slides")
    await signed_in(page, ANA_EMAIL)
    await page.get_by_label("Share with").select_option(label="Python Guild")
    await write_post(page, text)
    card = post_card(page, text)
    await expect(card).to_be_visible()

    await page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    await card.get_by_text("+ React").click()
    await card.get_by_role("button", name="React with 👍").click()
    await expect(card.get_by_role("button", name="👍 1")).to_have_attribute("aria-pressed", "true")
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"
    await card.get_by_role("button", name="👍 1").click()  # and once more takes it back
    await expect(card.get_by_role("button", name="👍 1")).to_have_count(0)
    await card.get_by_text("+ React").click()
    await card.get_by_role("button", name="React with 👍").click()
    await expect(card.get_by_role("button", name="👍 1")).to_be_visible()
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"

    await card.get_by_role("link", name="0 comments").click()
    await expect(page).to_have_url(re.compile(r"/posts/\d+#comments$"))
    await expect(page.get_by_role("heading", name="0 comments")).to_be_visible()
    await page.get_by_label("Add a comment").fill(comment)
    await page.get_by_role("button", name="Comment", exact=True).click()

    await expect(page.get_by_role("heading", name="1 comment", exact=True)).to_be_visible()
    thread = page.get_by_role("region", name="1 comment")
    await expect(thread.get_by_role("listitem").filter(has_text=comment)).to_be_visible()
    await expect(post_card(page, text).get_by_role("button", name="👍 1")).to_be_visible()
    await expect(page.get_by_label("Add a comment")).to_have_value("")


async def test_ask_a_question_and_accept_an_answer(page: Page, other_page: NewPage) -> None:
    question = unique("Which linter do you run in CI?")
    answer = unique("Ruff, with the pyflakes and isort rules")
    await signed_in(page, ANA_EMAIL)
    await page.goto("/spaces/python-guild")
    await write_post(page, question, kind="Question")
    await expect(post_card(page, question)).to_contain_text("Question")
    path = await open_post(page, question)
    await expect(page.get_by_role("button", name="Accept this answer")).to_have_count(0)

    ada = await other_page()  # not a member of the guild, but it is open: she may answer
    await signed_in(ada, ADMIN_EMAIL)
    await ada.goto(path)
    await ada.get_by_label("Your answer").fill(answer)
    await ada.get_by_role("button", name="Comment", exact=True).click()
    await expect(ada.get_by_role("listitem").filter(has_text=answer)).to_be_visible()
    await expect(ada.get_by_role("button", name="Accept this answer")).to_have_count(0)

    await page.reload()
    reply = page.get_by_role("listitem").filter(has_text=answer)
    await expect(reply).to_contain_text("Ada Admin")
    await reply.get_by_role("button", name="Accept this answer").click()

    accepted = page.get_by_role("region", name="✓ Accepted answer")
    await expect(accepted).to_be_visible()
    await expect(accepted).to_contain_text(answer)
    await expect(accepted.get_by_role("link", name="Ada Admin")).to_be_visible()
    await expect(post_card(page, question)).to_contain_text("Question · answered")
    await expect(page.get_by_role("button", name="Accept this answer")).to_have_count(0)


async def test_an_external_guest_sees_only_their_hybrid_space_and_its_people(
    page: Page, problems: Problems
) -> None:
    await signed_in(page, MARTA_EMAIL)
    nav = page.get_by_role("navigation", name="Main")
    nav_spaces = nav.locator("a[href^='/spaces/']")
    await expect(nav_spaces).to_have_text(["Acme Corp collaboration"])
    await expect(nav.get_by_role("link", name="Organisation")).to_have_count(0)

    await nav.get_by_role("link", name="Spaces", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Spaces")
    listed = page.get_by_role("list", name="Spaces").get_by_role("link")
    assert sorted(await listed.all_inner_texts()) == [
        "Acme Corp collaboration",
        "Northwind Open House",
    ]
    await expect(page.get_by_role("link", name="Start a space")).to_have_count(0)

    problems.expected_statuses.add(404)
    for slug in ("python-guild", "leadership-circle", "beta-ltd-collaboration"):
        response = await page.goto(f"/spaces/{slug}")
        assert response is not None and response.status == 404, slug
        await expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
        await expect(page.get_by_role("heading", level=1)).not_to_contain_text(
            re.compile("Python|Leadership|Beta")
        )

    await page.goto("/spaces/acme-corp-collaboration?tab=members")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Acme Corp collaboration")
    members = set(
        await page.get_by_role("list", name="Internal members")
        .get_by_role("link")
        .all_inner_texts()
    )
    externals = page.get_by_role("list", name="Members from Acme Corp")
    members |= set(await externals.get_by_role("link").all_inner_texts())
    assert {"Marta Kühn", "Tom Reyes", "Ana Silva"} <= members

    await nav.get_by_role("link", name="People", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("People")
    directory = page.get_by_role("list", name="People")
    names = directory.get_by_role("link").filter(has=page.locator("strong"))  # not the skills
    people = set(await names.all_inner_texts())
    assert people == members
    assert "Lina Haugen" not in people and "Ada Admin" not in people


async def test_a_signed_out_visitor_reads_the_public_space(page: Page, other_page: NewPage) -> None:
    news = unique("Open day on the pier this Saturday")
    ada = await other_page()
    await signed_in(ada, ADMIN_EMAIL)
    await ada.goto(OPEN_HOUSE)
    await expect(
        ada.get_by_text("Visible to anyone, even people who are not signed in.")
    ).to_be_visible()
    await write_post(ada, f"**{news}** — everyone is welcome.")
    await expect(post_card(ada, news)).to_be_visible()

    await page.goto(OPEN_HOUSE)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Open House")
    await expect(page.get_by_text("Public space")).to_be_visible()
    card = post_card(page, news)
    await expect(card).to_be_visible()
    await expect(card.locator("strong", has_text=news)).to_be_visible()  # Markdown rendered
    await expect(card.get_by_role("link", name="Ada Admin")).to_be_visible()
    await expect(page.get_by_label("Your post")).to_have_count(0)
    await expect(page.get_by_text("+ React")).to_have_count(0)
    await expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    await open_post(page, news)
    await expect(page.get_by_label("Add a comment")).to_have_count(0)
    await expect(page.get_by_role("main").get_by_role("link", name="Sign in")).to_have_attribute(
        "href", re.compile(r"^/sign-in\?next=/posts/\d+$")
    )
    await page.go_back()

    await page.get_by_role("link", name="Sign in to take part").click()
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/spaces/northwind-open-house$"))
    await expect(page.get_by_role("heading", name="Sign in to Atoll")).to_be_visible()


async def test_the_audience_line_warns_when_externals_will_read(page: Page) -> None:
    await signed_in(page, ANA_EMAIL)
    audience = page.get_by_text(re.compile(r"^\s*Visible to "))
    share_with = page.get_by_label("Share with")

    await share_with.select_option(label="Python Guild")
    await expect(audience).to_contain_text("all inside the organisation")
    await expect(audience).not_to_have_class(re.compile(r"\baudience-warn\b"))

    await page.evaluate("window.__sameDocument = true")
    await share_with.select_option(label="Acme Corp collaboration")
    await expect(audience).to_contain_text(re.compile(r"\d+ internal, \d+ external from Acme Corp"))
    await expect(audience).to_have_class(re.compile(r"\baudience-warn\b"))
    await expect(page.get_by_label("Your post")).to_have_attribute("aria-describedby", "audience")
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"

    await share_with.select_option(label="Python Guild")  # and back: the warning goes away
    await expect(audience).not_to_have_class(re.compile(r"\baudience-warn\b"))


FIND_RUNNABLE = """(root) => {
  const found = [];
  for (const el of root.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (["script", "iframe", "svg", "object", "embed", "style", "details", "img"].includes(tag))
      found.push(tag);
    for (const attr of el.attributes) {
      const value = attr.value.replace(/\\s+/g, "").toLowerCase();
      if (attr.name.startsWith("on") || attr.name === "style"
          || (["href", "src"].includes(attr.name) && /^(javascript|data|vbscript):/.test(value)))
        found.push(`${tag} ${attr.name}=${attr.value}`);
    }
  }
  return found;
}"""

ONLY_OUR_SCRIPTS = """Array.from(document.scripts).every(
  (s) => s.src && new URL(s.src).origin === location.origin
    && new URL(s.src).pathname.startsWith("/static/"))"""


async def test_markdown_payloads_do_not_run_in_the_browser(page: Page) -> None:
    dialogs: list[str] = []

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    marker = unique("XSS corpus")
    body = marker + "\n\n" + "\n\n".join(PAYLOADS)
    await signed_in(page, ANA_EMAIL)
    await page.get_by_label("Share with").select_option(label="Python Guild")
    await page.get_by_label("Your post").fill(body)

    await page.get_by_role("button", name="Preview").click()  # rendered in place by htmx
    preview = page.locator(".preview-slot .preview")
    await expect(preview).to_contain_text(marker)
    await expect(preview).to_contain_text("<script>alert(1)</script>")
    assert await preview.evaluate(FIND_RUNNABLE) == []

    await page.get_by_role("button", name="Post", exact=True).click()
    card = post_card(page, marker)
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    assert await card.locator(".markdown").evaluate(FIND_RUNNABLE) == []
    assert await page.evaluate(ONLY_OUR_SCRIPTS)

    await open_post(page, marker)
    post_body = post_card(page, marker).locator(".markdown")
    await expect(post_body).to_contain_text("[click](javascript:alert(1))")
    assert await post_body.evaluate(FIND_RUNNABLE) == []
    assert await page.evaluate(ONLY_OUR_SCRIPTS)
    for link in await post_body.get_by_role("link").all():  # nothing to click that runs
        await link.click()
    await page.wait_for_timeout(200)
    assert dialogs == []
