"""An administrator manages units in the browser: add, rename, merge, delete."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Page, expect

from tests.browser.helpers import ADMIN_EMAIL, Problems, sign_in

pytestmark = pytest.mark.browser


async def test_admin_renames_merges_and_deletes_units(page: Page, problems: Problems) -> None:
    problems.expected_statuses.add(422)  # the refused merge below answers 422, as it should
    tag = secrets.token_hex(2)
    await sign_in(page, ADMIN_EMAIL)
    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="Units").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Units")

    async def add(name: str) -> None:
        await page.get_by_label("New unit name").fill(name)
        await page.get_by_label("Inside", exact=True).select_option(index=1)
        await page.get_by_role("button", name="Add unit").click()
        await expect(page.get_by_role("status")).to_have_text("Unit added.")

    await add(f"Plattform {tag}")
    await add(f"Platform {tag}")

    async def change(name: str) -> None:
        await page.goto("/admin/units")
        await page.get_by_role("link", name=f"Change {name}", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)

    # a typo, renamed
    await change(f"Plattform {tag}")
    await page.get_by_label(f"New name of Plattform {tag}").fill(f"Platforms {tag}")
    await page.get_by_role("button", name="Rename").click()
    await expect(page.get_by_role("status")).to_have_text("Unit renamed.")
    await expect(page.locator(".unit-name", has_text=f"Platforms {tag}")).to_have_count(1)

    # merged into the other
    await change(f"Platforms {tag}")
    await page.get_by_label(f"Merge Platforms {tag} into").select_option(
        label=f"— — Platform {tag}"
    )
    await page.get_by_role("button", name="Merge").click()
    await expect(page.get_by_role("status")).to_contain_text("Units merged")
    await expect(page.locator(".unit-name", has_text=f"Platforms {tag}")).to_have_count(0)

    # a refusal reads as a sentence, not a crash
    await change(f"Platform {tag}")
    await page.get_by_label(f"Merge Platform {tag} into").select_option(label="Choose a unit")
    await page.get_by_role("button", name="Merge").click()
    await expect(page.get_by_role("alert")).to_contain_text("choose the unit to merge it into")

    # the empty unit that is left goes
    await page.get_by_role("button", name=f"Delete Platform {tag}").click()
    await expect(page.get_by_role("status")).to_have_text("Unit deleted.")
    await expect(page.locator(".unit-name", has_text=f"Platform {tag}")).to_have_count(0)
