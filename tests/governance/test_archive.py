"""Archiving and unarchiving a space; the directory's "Archived" filter; situation rooms
extended and reopened."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.kit.time import utcnow
from atoll.spaces.models import Space
from tests.conversations.helpers import make_post, post
from tests.governance.helpers import API, crew
from tests.web.helpers import asks


async def test_archive_then_unarchive(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await crew(client, db, name="Old Guild")
    h, sid = c.h, c.space["id"]
    about = await client.get(f"/spaces/{c.space['slug']}?tab=about", headers=h["owner"])
    question = asks(about.text)[f"/spaces/{c.space['slug']}/archive"]
    assert (
        "members keep reading" in question["detail"].lower() or "keep reading" in question["detail"]
    )
    assert (await client.post(f"{API}/spaces/{sid}/archive", headers=h["owner"])).status_code == 200
    # read-only: no posts; the directory lists it under "Archived" only
    assert (await post(client, h["member"], sid, "Hello")).status_code == 409
    names = [
        s["name"] for s in (await client.get(f"{API}/spaces", headers=h["insider"])).json()["items"]
    ]
    assert "Old Guild" not in names
    archived = (await client.get(f"{API}/spaces?state=archived", headers=h["insider"])).json()
    assert [s["name"] for s in archived["items"]] == ["Old Guild"]
    page = await client.get("/spaces?state=archived", headers=h["insider"])
    assert "Old Guild" in page.text
    # members keep reading
    assert (await client.get(f"{API}/spaces/{sid}/posts", headers=h["member"])).status_code == 200
    # only owners and admins bring it back
    assert (
        await client.post(f"{API}/spaces/{sid}/unarchive", headers=h["moderator"])
    ).status_code == 403
    r = await client.post(f"{API}/spaces/{sid}/unarchive", headers=h["owner"])
    assert r.status_code == 200 and r.json()["archived"] is False
    assert (
        await client.post(f"{API}/spaces/{sid}/unarchive", headers=h["owner"])
    ).status_code == 409
    assert (await post(client, h["member"], sid, "Back")).status_code == 201
    names = [
        s["name"] for s in (await client.get(f"{API}/spaces", headers=h["insider"])).json()["items"]
    ]
    assert "Old Guild" in names
    await db.rollback()
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "space.unarchived"))
    assert entry is not None and entry.actor_id == c.owner.id


async def test_governance_refuses_in_an_archived_space(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await crew(client, db)
    h, sid = c.h, c.space["id"]
    p = await make_post(client, h["member"], sid, "Before")
    await client.put(
        f"{API}/spaces/{sid}/wiki/rules",
        json={"title": "Rules", "body": "Be kind"},
        headers=h["owner"],
    )
    await client.delete(f"{API}/posts/{p['id']}", headers=h["member"])
    await client.post(f"{API}/spaces/{sid}/archive", headers=h["owner"])
    for method, path in (
        ("POST", f"posts/{p['id']}/restore"),
        ("POST", f"spaces/{sid}/wiki/rules/lock"),
    ):
        r = await client.request(method, f"{API}/{path}", headers=h["owner"])
        assert r.status_code == 409 and "archived" in r.json()["detail"], path


async def test_situation_room_extended_and_reopened(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    closes = utcnow() + timedelta(days=1)
    c = await crew(client, db, kind="situation", closes_at=closes.isoformat())
    h, sid = c.h, c.space["id"]
    later = (utcnow() + timedelta(days=3)).isoformat()
    r = await client.patch(f"{API}/spaces/{sid}", json={"closes_at": later}, headers=h["owner"])
    assert r.status_code == 200
    # its time runs out: housekeeping archives it
    await db.execute(
        update(Space)
        .where(Space.id == int(sid))
        .values(closes_at=utcnow() - timedelta(hours=1), archived_at=utcnow() - timedelta(hours=1))
    )
    await db.commit()
    assert (await post(client, h["member"], sid, "Late")).status_code == 409
    r = await client.patch(f"{API}/spaces/{sid}", json={"closes_at": later}, headers=h["owner"])
    assert r.status_code == 409
    # reopening needs a new closing time in the future
    r = await client.post(f"{API}/spaces/{sid}/unarchive", headers=h["owner"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "closes_at"
    past = (utcnow() - timedelta(hours=2)).isoformat()
    r = await client.post(
        f"{API}/spaces/{sid}/unarchive", json={"closes_at": past}, headers=h["owner"]
    )
    assert r.status_code == 422
    r = await client.post(
        f"{API}/spaces/{sid}/unarchive", json={"closes_at": later}, headers=h["admin"]
    )
    assert r.status_code == 200 and r.json()["archived"] is False
    assert (await post(client, h["member"], sid, "We are back")).status_code == 201
