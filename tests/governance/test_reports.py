"""Reports through the API and the service: who may report what, the queue and who sees which
reports, each action and its effects, the notifications and the audit entries, suspension."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.audit.service import detail_of
from tests.conversations.helpers import comment
from tests.factories import auth_headers, make_person
from tests.governance.helpers import API, cast, queue, report, reported_post, resolve


async def _audit(db: AsyncSession, action: str) -> list[AuditEntry]:
    await db.rollback()
    return list(await db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def _notifications(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    r = await client.get(f"{API}/notifications", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def test_report_is_idempotent_and_grouped_per_target(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    post, first = await reported_post(client, c)
    assert first["status"] == "open" and first["reason"] == "spam"
    again = await report(client, c.h["reporter"], "post", post["id"], "other")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    other = await make_person(db, name="Otto Other")
    await client.post(
        f"{API}/spaces/{c.space['id']}/join", headers=await auth_headers(client, other)
    )
    r = await report(client, await auth_headers(client, other), "post", post["id"], "harassment")
    assert r.status_code == 201

    q = await queue(client, c.h["moderator"])
    assert q.status_code == 200, q.text
    items = q.json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["count"] == 2 and item["reasons"] == {"spam": 1, "harassment": 1}
    assert item["target"]["excerpt"] == "Buy cheap watches"
    assert item["target"]["author"]["name"] == "Ann Author"
    assert item["target"]["space"]["name"] == "Guild"
    assert {x["reporter"]["name"] for x in item["reports"]} == {"Rita Reporter", "Otto Other"}
    assert "Ads again" in [x["detail"] for x in item["reports"]]


async def test_hide_notifies_author_and_reporter_and_audits(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    post, rep = await reported_post(client, c)
    assert (await resolve(client, c.h["moderator"], rep["id"], "hide")).status_code == 422
    r = await resolve(client, c.h["moderator"], rep["id"], "hide", "No advertising here")
    assert r.status_code == 200, r.text
    assert r.json()["resolved"] == [rep["id"]]
    # hidden: 404 for a reader, visible to the author and the moderators
    assert (
        await client.get(f"{API}/posts/{post['id']}", headers=c.h["reporter"])
    ).status_code == 404
    assert (await client.get(f"{API}/posts/{post['id']}", headers=c.h["author"])).status_code == 200
    assert (await client.get(f"{API}/posts/{post['id']}", headers=c.h["owner"])).status_code == 200
    listed = await client.get(f"{API}/spaces/{c.space['id']}/posts", headers=c.h["reporter"])
    assert listed.json()["items"] == []
    texts = [n["text"] for n in await _notifications(client, c.h["author"])]
    assert any(
        "A moderator hid your post in Guild (reason: spam): No advertising here" in t for t in texts
    ), texts
    texts = [n["text"] for n in await _notifications(client, c.h["reporter"])]
    assert "Your report on a post in Guild was reviewed: hidden" in texts
    (entry,) = await _audit(db, "report.resolved")
    detail = detail_of(entry)
    assert detail["resolution"] == "hide" and detail["note"] == "No advertising here"
    assert detail["after"] == {"hidden": True} and entry.target_id == post["id"]
    # resolved: a second time is a conflict; the queue moved it to resolved
    assert (await resolve(client, c.h["moderator"], rep["id"], "dismiss")).status_code == 409
    assert (await queue(client, c.h["moderator"])).json()["items"] == []
    done = (await queue(client, c.h["moderator"], status="resolved")).json()["items"]
    assert done[0]["resolution"]["action"] == "hide" and done[0]["target"]["state"] == "hidden"
    # a moderator shows it again
    assert (
        await client.post(f"{API}/posts/{post['id']}/unhide", headers=c.h["reporter"])
    ).status_code == 404
    assert (
        await client.post(f"{API}/posts/{post['id']}/unhide", headers=c.h["moderator"])
    ).status_code == 204
    assert (
        await client.get(f"{API}/posts/{post['id']}", headers=c.h["reporter"])
    ).status_code == 200
    assert len(await _audit(db, "post.unhidden")) == 1
