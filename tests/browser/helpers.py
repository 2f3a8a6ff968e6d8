"""Small steps the browser journeys share."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.async_api import Page, ViewportSize

DEMO_PASSWORD = "atoll-demo-2026"  # see atoll.demo.generator
ADMIN_EMAIL = "admin@northwind.example"
ANA_EMAIL = "ana.silva@northwind.example"
PHONE = ViewportSize(width=390, height=844)


async def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    await page.goto("/sign-in")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return int(await page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


@dataclass
class Problems:
    """What went wrong in the pages of one test: console errors, uncaught exceptions and
    Content-Security-Policy violations."""

    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def all(self) -> list[str]:
        return self.console + self.exceptions + self.csp
