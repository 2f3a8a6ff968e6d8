"""The report form, the moderation page and resolving from it, as a browser without
JavaScript uses them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import make_post
from tests.governance.report_helpers import cast
from tests.web.helpers import csrf_of, sign_in


@asynccontextmanager
async def browser(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        assert (await sign_in(c, email)).status_code == 303
        yield c


async def test_report_from_the_page_and_resolve_from_the_queue(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    post = await make_post(client, c.h["author"], c.space["id"], "Cheap watches here")
    emails = {k: getattr(c, k).email for k in ("reporter", "moderator", "author", "owner")}
    async with browser(app, emails["reporter"]) as rita:
        page = await rita.get(f"/posts/{post['id']}")
        assert f"/report?target_type=post&amp;target_id={post['id']}" in page.text
        assert "Moderation" not in page.text.split("<main")[0]  # no link for a plain member
        form = await rita.get(f"/report?target_type=post&target_id={post['id']}")
        assert form.status_code == 200 and "Cheap watches here" in form.text
        bad = await rita.post(
            "/report",
            data={"csrf_token": csrf_of(form.text), "target_type": "post", "target_id": post["id"]},
        )
        assert bad.status_code == 422 and "reason" in bad.text
        sent = await rita.post(
            "/report",
            data={
                "csrf_token": csrf_of(form.text),
                "target_type": "post",
                "target_id": post["id"],
                "reason": "spam",
                "detail": "Ads",
            },
        )
        assert sent.status_code == 200 and "Thanks — the moderators will look at it" in sent.text
        refused = await rita.get("/moderation")
        assert refused.status_code == 403 and "Only moderators" in refused.text
        assert (await rita.get("/report?target_type=post&target_id=999999")).status_code == 404
    async with browser(app, emails["moderator"]) as mo:
        queue = await mo.get("/moderation")
        assert queue.status_code == 200 and "Cheap watches here" in queue.text
        assert "Rita Reporter" in queue.text and "Ads" in queue.text
        assert 'data-moderation-count aria-label="1 open reports"' in queue.text
        report_id = queue.text.split('action="/moderation/reports/')[1].split("/")[0]
        token = csrf_of(queue.text)
        missing = await mo.post(
            f"/moderation/reports/{report_id}/resolve",
            data={"csrf_token": token, "action": "hide", "note": ""},
        )
        assert missing.status_code == 422 and "note" in missing.text
        done = await mo.post(
            f"/moderation/reports/{report_id}/resolve",
            data={"csrf_token": token, "action": "hide", "note": "No ads"},
        )
        assert done.status_code == 303
        assert "Nothing to review" in (await mo.get("/moderation")).text
    async with browser(app, emails["author"]) as ann:
        own = await ann.get(f"/posts/{post['id']}")
        assert "Hidden by a moderator" in own.text and "No ads" in own.text
        assert "Show it again" not in own.text
        bell = await ann.get("/notifications")
        assert "A moderator hid your post in Guild (reason: spam): No ads" in bell.text
    async with browser(app, emails["reporter"]) as rita:
        assert (await rita.get(f"/posts/{post['id']}")).status_code == 404
        assert "was reviewed: hidden" in (await rita.get("/notifications")).text
    async with browser(app, emails["owner"]) as olga:
        page = await olga.get(f"/posts/{post['id']}")
        assert "Show it again" in page.text
        shown = await olga.post(
            f"/posts/{post['id']}/unhide", data={"csrf_token": csrf_of(page.text)}
        )
        assert shown.status_code == 303
        assert "Hidden by a moderator" not in (await olga.get(f"/posts/{post['id']}")).text


async def test_anonymous_is_sent_to_sign_in_and_every_target_offers_report(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    r = await client.get("/report?target_type=post&target_id=1")
    assert r.status_code in (303, 401) and (
        r.status_code == 401 or "/sign-in" in r.headers["location"]
    )
    assert (await client.get("/moderation")).status_code in (303, 401)
    c = await cast(client, db)
    page = await client.put(
        f"/api/v1/spaces/{c.space['id']}/wiki/rules",
        json={"title": "Rules", "body": "x"},
        headers=c.h["author"],
    )
    async with browser(app, c.reporter.email) as rita:
        profile = await rita.get(f"/people/{c.author.id}")
        assert f"/report?target_type=person&amp;target_id={c.author.id}" in profile.text
        wiki = await rita.get(f"/spaces/{c.space['slug']}/wiki/rules")
        assert f"/report?target_type=wiki_page&amp;target_id={page.json()['id']}" in wiki.text
