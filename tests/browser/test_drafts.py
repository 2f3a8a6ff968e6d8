"""Practice without fear, in Chromium: the composer saves a draft as one types and it survives
a reload; "Posted · Undo" takes a post back and puts its text in the composer again; the
preview shows the post's card as readers will see it; on the home page the draft comes back
with its space chosen.

Each journey works in a space of its own and leaves no draft behind (other journeys post from
the home page's composer, which opens on the most recent draft)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ANA_EMAIL, sign_in

pytestmark = pytest.mark.browser


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


async def start_a_community(page: Page, name: str) -> str:
    """Start an open community as the signed-in person; return its id."""
    await page.goto("/spaces/new")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("radio", name=re.compile(r"^Community")).check()
    await page.get_by_role("radio", name=re.compile(r"^Open")).check()
    await page.get_by_role("button", name="Start the space").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    space_id = await page.locator("#composer input[name=space_id]").input_value()
    assert space_id.isdigit()
    return space_id


async def draft_of(page: Page, space_id: str) -> dict[str, object]:
    answer = await page.request.get(f"/api/v1/spaces/{space_id}/draft")
    assert answer.ok, await answer.text()
    draft: dict[str, object] = await answer.json()
    return draft


async def discard(page: Page, space_id: str) -> None:
    token = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    gone = await page.request.delete(
        f"/api/v1/spaces/{space_id}/draft", headers={"X-CSRF-Token": token or ""}
    )
    assert gone.status == 204


async def test_a_draft_survives_a_reload_and_undo_gives_the_text_back(page: Page) -> None:
    await sign_in(page, ANA_EMAIL)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    space_id = await start_a_community(page, unique("Practice room"))
    text = unique("Half a thought about **deploys**")

    body = page.get_by_label("Your post")
    status = page.locator("#composer [data-draft-status]")
    await body.press_sequentially(text)
    await expect(status).to_have_text("Draft saved")
    assert (await draft_of(page, space_id))["body"] == text

    await page.reload()
    await expect(body).to_have_value(text)
    await expect(status).to_have_text("Your draft is back, as you left it.")

    # The preview: the card as readers will see it, marked, without a single button.
    await page.get_by_role("radio", name="Question", exact=True).check()
    await page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview of your post")
    await expect(preview).to_contain_text("this is how readers will see your post")
    card = preview.get_by_role("article")
    await expect(card).to_contain_text("Ana Silva")
    await expect(card.locator(".kind-badge")).to_have_text("Question")
    await expect(card.locator("strong")).to_have_text("deploys")
    said = (await page.locator("#audience").inner_text()).strip()
    assert said.startswith("Visible to")
    await expect(preview.locator("#preview-audience")).to_have_text(said)
    await expect(preview.get_by_role("button")).to_have_count(0)

    # Post, then take it back: the card goes, the text is in the composer again.
    await page.get_by_role("button", name="Post", exact=True).click()
    posted = page.get_by_role("article").filter(has_text=text.replace("**", ""))
    await expect(posted).to_have_count(1)
    await expect(body).to_have_value("")
    note = page.locator("#posted-note")
    await expect(note).to_contain_text("Posted")
    assert (await draft_of(page, space_id))["updated_at"] is None  # posting took it
    await note.get_by_role("button", name="Undo").click()
    await expect(note).to_have_text(re.compile(r"Post taken back"))
    await expect(posted).to_have_count(0)
    await expect(body).to_have_value(text)
    await expect(page.locator("#composer input[value=question]")).to_be_checked()
    draft = await draft_of(page, space_id)
    assert (draft["body"], draft["kind"]) == (text, "question")

    await page.reload()  # the undone post stays gone, the draft stays
    await expect(body).to_have_value(text)
    await expect(page.get_by_role("article").filter(has_text=text.replace("**", ""))).to_have_count(
        0
    )
    await discard(page, space_id)


async def test_the_home_composer_opens_on_the_latest_draft_in_its_space(page: Page) -> None:
    await sign_in(page, ANA_EMAIL)
    name = unique("Sketchbook")
    space_id = await start_a_community(page, name)
    await page.goto("/")
    space = page.get_by_label("Share with")
    body = page.get_by_label("Your post")
    await body.fill("")  # a draft another journey left: emptied, so it is discarded
    await space.select_option(label=name)
    text = unique("Notes for later")
    await body.press_sequentially(text)
    await expect(page.locator("#composer [data-draft-status]")).to_have_text("Draft saved")

    await page.reload()
    await expect(space).to_have_value(space_id)
    await expect(body).to_have_value(text)
    await expect(page.locator("#audience")).to_contain_text("all inside the organisation")
    await discard(page, space_id)
