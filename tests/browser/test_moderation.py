"""Moderation in Chromium: a member reports a post from its page; the space moderator's open
moderation page shows it without a reload; the moderator hides it with a note; the author
sees the notification with the reason and the note, and the reporter the outcome."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import ADMIN_EMAIL, ANA_EMAIL, DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser


async def _cast(server: Server, tag: str) -> dict[str, Any]:
    """Through the API, as the administrator: an author and a reporter, a space Ana
    moderates, and the author's post in it."""
    async with httpx.AsyncClient(base_url=server.base_url + "/api/v1") as api:

        async def token(email: str) -> dict[str, str]:
            r = await api.post("/auth/token", json={"email": email, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        admin = await token(ADMIN_EMAIL)
        people = {}
        for name in ("author", "reporter"):
            body = {
                "name": f"{name.capitalize()} {tag}",
                "email": f"{name}-{tag}@northwind.example",
                "password": DEMO_PASSWORD,
                "kind": "member",
            }
            r = await api.post("/people", json=body, headers=admin)
            assert r.status_code == 201, r.text
            people[name] = r.json()
        ana = (await api.get("/me", headers=await token(ANA_EMAIL))).json()
        space = (
            await api.post(
                "/spaces",
                json={"name": f"Harbour {tag}", "kind": "community", "visibility": "open"},
                headers=admin,
            )
        ).json()
        for person, role in (
            (ana, "moderator"),
            (people["author"], "member"),
            (people["reporter"], "member"),
        ):
            r = await api.post(
                f"/spaces/{space['id']}/members",
                json={"person_id": person["id"], "role": role},
                headers=admin,
            )
            assert r.status_code == 201, r.text
        author = await token(people["author"]["email"])
        post = await api.post(
            f"/spaces/{space['id']}/posts", json={"body": f"Cheap watches {tag}"}, headers=author
        )
        assert post.status_code == 201, post.text
        return {"space": space, "post": post.json(), **people}


async def test_report_hide_and_everyone_is_told(
    page: Page, other_page: Callable[[], Awaitable[Page]], server: Server
) -> None:
    tag = uuid.uuid4().hex[:8]
    cast = await _cast(server, tag)
    ana = page  # a moderator of the space
    await sign_in(ana, ANA_EMAIL)
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Welcome, Ana Silva")
    await ana.get_by_role("link", name=re.compile(r"^Moderation")).click()
    await expect(ana.get_by_role("heading", level=1)).to_have_text("Moderation")
    await ana.evaluate("window.__sameDocument = true")  # gone if the page reloads

    rita = await other_page()
    await sign_in(rita, cast["reporter"]["email"])
    await rita.goto(f"/posts/{cast['post']['id']}")
    await rita.get_by_role("link", name="Report this post").click()
    await rita.get_by_label("Spam or advertising").check()
    await rita.get_by_label(re.compile("Anything the moderators should know")).fill("Ads again")
    await rita.get_by_role("button", name="Send report").click()
    await expect(rita.get_by_role("status")).to_have_text(
        "Thanks — the moderators will look at it."
    )

    reports = ana.get_by_role("list", name="Open reports")
    item = reports.get_by_role("listitem").filter(has_text=f"Cheap watches {tag}")
    await expect(item).to_be_visible()
    await expect(item).to_contain_text("Ads again")
    await expect(item).to_contain_text(cast["reporter"]["name"])
    assert await ana.evaluate("window.__sameDocument === true"), "Ana's page reloaded"

    await item.get_by_label("Action").select_option("hide")
    await item.get_by_label(re.compile("Note to the author")).fill("No advertising here")
    await item.get_by_role("button", name="Resolve 1 report").click()
    await expect(ana.get_by_role("status")).to_contain_text("the reports are resolved")
    await expect(
        ana.get_by_role("list", name="Open reports").get_by_text(f"Cheap watches {tag}")
    ).to_have_count(0)

    ann = await other_page()
    await sign_in(ann, cast["author"]["email"])
    await ann.goto("/notifications")
    told = ann.get_by_role("link", name=re.compile("A moderator hid your post"))
    await expect(told).to_have_text(
        f"A moderator hid your post in Harbour {tag} (reason: spam): No advertising here"
    )
    await told.click()
    await expect(ann.get_by_role("note")).to_contain_text(
        "Hidden by a moderator: No advertising here"
    )

    await rita.goto("/notifications")
    await expect(
        rita.get_by_role(
            "link", name=f"Your report on a post in Harbour {tag} was reviewed: hidden"
        )
    ).to_be_visible()
