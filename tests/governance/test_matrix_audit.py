"""The authorization matrix of the audit log's endpoints, written from the contract: the log
is for administrators (200); everyone else signed in gets the answer every ``/admin`` page and
endpoint gives them — 403, the admin pages are no secret; signed out, 401. The persona
holding a platform role of moderator does not read it either. A browser signed out is sent
to the sign-in page, as from every page."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import record_audit
from atoll.spaces import members
from atoll.spaces import service as spaces
from tests.factories import access_to, auth_headers, make_person
from tests.web.helpers import sign_in

PERSONAS = (
    "admin",
    "platform_moderator",
    "owner",
    "moderator",
    "member",
    "insider",
    "guest",
    "stranger",
    "anon",
)
EXPECTED = {persona: 403 for persona in PERSONAS} | {"admin": 200, "anon": 401}
API_READS = (
    ("/api/v1/admin/audit", {}),
    ("/api/v1/admin/audit?action=space.updated&limit=5", {}),
    ("/api/v1/admin/audit", {"Accept": "text/csv"}),
)
PAGES = ("/admin/audit", "/admin/audit.csv", "/admin/audit/actors?actor=a")


async def _people(db: AsyncSession) -> dict[str, object]:
    made = {
        "admin": await make_person(db, role="admin"),
        "platform_moderator": await make_person(db, role="moderator"),
        "owner": await make_person(db),
        "moderator": await make_person(db),
        "member": await make_person(db),
        "insider": await make_person(db),
        "guest": await make_person(db, kind="external"),
        "stranger": await make_person(db, kind="external", organization="Beta Ltd"),
    }
    space = await spaces.do_create_space(
        db, actor=made["owner"], name="Hybrid", kind="hybrid", visibility="private"
    )
    access = await access_to(db, made["owner"], space)
    for persona, role in (("moderator", "moderator"), ("member", "member"), ("guest", "member")):
        await members.do_add_member(
            db,
            access=access,
            person_id=made[persona].id,
            role=role,
            confirm_new_organization=True,
        )
    record_audit(db, actor_id=None, action="space.updated", target_type="space", target_id=space.id)
    await db.commit()
    return made


@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_audit_api_answers_each_persona(
    client: httpx.AsyncClient, db: AsyncSession, persona: str
) -> None:
    people = await _people(db)
    headers = {} if persona == "anon" else await auth_headers(client, people[persona])  # type: ignore[arg-type]
    for path, extra in API_READS:
        answer = await client.get(path, headers={**headers, **extra})
        assert answer.status_code == EXPECTED[persona], (persona, path, answer.text[:200])
        if persona == "admin" and not extra:
            assert answer.json()["items"], path


@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_audit_pages_answer_each_persona(
    app: FastAPI, db: AsyncSession, persona: str
) -> None:
    people = await _people(db)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        if persona != "anon":
            signed = await sign_in(browser, people[persona].email)  # type: ignore[attr-defined]
            assert signed.status_code == 303
        for path in PAGES:
            answer = await browser.get(path)
            if persona == "anon":  # a browser signed out is sent to sign in first
                assert answer.status_code == 303, path
                assert answer.headers["location"].startswith("/sign-in"), path
                continue
            assert answer.status_code == EXPECTED[persona], (persona, path)


async def test_a_token_without_the_admin_scope_does_not_read_the_log(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    people = await _people(db)
    headers = await auth_headers(client, people["admin"])  # type: ignore[arg-type]
    made = await client.post(
        "/api/v1/me/tokens",
        json={"name": "read only", "scopes": ["read"], "expires_in_days": 1},
        headers=headers,
    )
    scoped = {"Authorization": f"Bearer {made.json()['token']}"}
    answer = await client.get("/api/v1/admin/audit", headers=scoped)
    assert answer.status_code == 403
    assert "admin" in answer.json()["detail"]
