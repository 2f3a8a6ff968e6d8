"""Personal access tokens: made with a name, scopes and an end; shown once; listed and revoked
with the sessions; their scopes obeyed by every endpoint (read: safe methods; write: every
method; admin: the owner's administrator rights); they end when told, without sliding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people.models import AuthSession
from tests.factories import PASSWORD, auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"


async def _pat(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], **more: Any
) -> dict[str, Any]:
    body = {"name": more.pop("name", "script"), "scopes": scopes, **more}
    made = await client.post(f"{API}/me/tokens", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return dict(made.json())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _space(name: str, visibility: str = "open") -> dict[str, str]:
    return {"name": name, "kind": "community", "visibility": visibility}


async def test_a_token_is_shown_once_and_listed_with_its_name_and_scopes(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    session = await auth_headers(client, ana)
    made = await _pat(client, session, ["write"], name="report bot", expires_in_days=30)
    assert made["token"].startswith("atoll_pat_")
    assert (made["name"], made["scopes"]) == ("report bot", ["read", "write"])
    listed = (await client.get(f"{API}/me/sessions", headers=session)).json()
    mine = next(row for row in listed if row["id"] == made["id"])
    assert mine["kind"] == "token" and mine["name"] == "report bot"
    assert mine["scopes"] == ["read", "write"] and mine["expires_at"] == made["expires_at"]
    assert "last_used_at" in mine and made["token"] not in str(listed)
    password_token = next(row for row in listed if row["current"])
    assert password_token["scopes"] is None and password_token["name"] == ""
    me = await client.get(f"{API}/me", headers=_bearer(made["token"]))
    assert me.status_code == 200 and me.json()["name"] == "Ana"


async def test_read_allows_safe_methods_only_and_write_allows_the_rest(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ben = await make_person(db, name="Ben")
    session = await auth_headers(client, ben)
    read = _bearer((await _pat(client, session, ["read"]))["token"])
    write = _bearer((await _pat(client, session, ["write"]))["token"])
    made = await client.post(f"{API}/spaces", json=_space("Ben's guild"), headers=write)
    assert made.status_code == 201, made.text
    space_id = made.json()["id"]
    assert (await client.get(f"{API}/spaces/{space_id}", headers=read)).status_code == 200
    assert (await client.get(f"{API}/feed", headers=read)).status_code == 200
    refused = [
        await client.post(f"{API}/spaces", json=_space("Not made"), headers=read),
        await client.post(f"{API}/spaces/{space_id}/posts", json={"body": "hi"}, headers=read),
        await client.patch(f"{API}/people/{ben.id}", json={"title": "x"}, headers=read),
        await client.delete(f"{API}/spaces/{space_id}/members/{ben.id}", headers=read),
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert '"write" scope' in answer.json()["detail"]
    posted = await client.post(
        f"{API}/spaces/{space_id}/posts", json={"body": "hello"}, headers=write
    )
    assert posted.status_code == 201


async def test_admin_rights_need_the_admin_scope_even_for_an_admin(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ada = await make_person(db, name="Ada", role="admin")
    cy = await make_person(db, name="Cy")
    session = await auth_headers(client, ada)
    write = _bearer((await _pat(client, session, ["write"]))["token"])
    admin = _bearer((await _pat(client, session, ["admin"]))["token"])
    newcomer = {"name": "Dee", "email": "dee@example.com", "kind": "member"}

    refused = await client.post(f"{API}/people", json=newcomer, headers=write)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert '"admin" scope' in refused.json()["detail"]
    role = await client.patch(f"{API}/people/{cy.id}", json={"role": "admin"}, headers=write)
    assert role.status_code == 403 and '"admin" scope' in role.json()["detail"]
    # Reading too: a secret space Ada is not in is hidden from the token as from any member.
    cy_session = await auth_headers(client, cy)
    secret = await client.post(
        f"{API}/spaces", json=_space("Cy's secret", "secret"), headers=cy_session
    )
    secret_id = secret.json()["id"]
    assert (await client.get(f"{API}/spaces/{secret_id}", headers=write)).status_code == 404
    assert (await client.get(f"{API}/spaces/{secret_id}", headers=admin)).status_code == 200
    me = (await client.get(f"{API}/me", headers=write)).json()
    assert me["role"] == "member"  # the token acts as a member

    assert (await client.post(f"{API}/people", json=newcomer, headers=admin)).status_code == 201
    # The password token of POST /auth/token keeps its owner's full power.
    other = {**newcomer, "email": "eve@example.com", "name": "Eve"}
    assert (await client.post(f"{API}/people", json=other, headers=session)).status_code == 201


async def test_who_may_make_which_token(client: httpx.AsyncClient, db: AsyncSession) -> None:
    dan = await make_person(db, name="Dan")
    ada = await make_person(db, name="Ada", role="admin")
    dan_session = await auth_headers(client, dan)
    asked = await client.post(
        f"{API}/me/tokens", json={"name": "x", "scopes": ["admin"]}, headers=dan_session
    )
    assert asked.status_code == 403 and "administrators" in asked.json()["detail"]
    # A token may not make one with more scopes than its own.
    write = _bearer((await _pat(client, await auth_headers(client, ada), ["write"]))["token"])
    bigger = await client.post(
        f"{API}/me/tokens", json={"name": "x", "scopes": ["admin"]}, headers=write
    )
    assert bigger.status_code == 403
    assert (await _pat(client, write, ["read"]))["scopes"] == ["read"]


async def test_bad_bodies_are_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    eve = await make_person(db, name="Eve")
    session = await auth_headers(client, eve)
    bad = [
        {"name": "x", "scopes": ["delete"]},
        {"name": "x", "scopes": []},
        {"name": "x"},
        {"name": "", "scopes": ["read"]},
        {"name": "   ", "scopes": ["read"]},
        {"name": "x" * 101, "scopes": ["read"]},
        {"name": "x", "scopes": ["read"], "expires_in_days": 0},
        {"name": "x", "scopes": ["read"], "expires_in_days": 366},
        {"name": "x", "scopes": ["read"], "expires_in_days": "soon"},
        {"name": "x", "scopes": ["read"], "owner": "someone else"},
        {"name": "x\x00", "scopes": ["read"]},
    ]
    for body in bad:
        answer = await client.post(f"{API}/me/tokens", json=body, headers=session)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    listed = (await client.get(f"{API}/me/sessions", headers=session)).json()
    assert [row["kind"] for row in listed] == ["token"] and listed[0]["scopes"] is None
    signed_out = await client.post(f"{API}/me/tokens", json={"name": "x", "scopes": ["read"]})
    assert signed_out.status_code == 401


async def test_without_days_it_lives_the_longest_allowed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    fay = await make_person(db, name="Fay")
    made = await _pat(client, await auth_headers(client, fay), ["read"], expires_in_days=None)
    row = await db.get(AuthSession, int(made["id"]))
    assert row is not None
    days = (row.expires_at - row.created_at).days
    assert days == 365  # ATOLL_PAT_MAX_DAYS' default


async def test_it_ends_when_told_and_does_not_slide(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    gus = await make_person(db, name="Gus")
    made = await _pat(client, await auth_headers(client, gus), ["read"], expires_in_days=7)
    token, row_id = _bearer(made["token"]), int(made["id"])
    an_hour_ago = utcnow() - timedelta(hours=1)
    await db.execute(
        update(AuthSession).where(AuthSession.id == row_id).values(last_seen_at=an_hour_ago)
    )
    await db.commit()
    before = (await db.get(AuthSession, row_id, populate_existing=True)).expires_at  # type: ignore[union-attr]
    assert (await client.get(f"{API}/me", headers=token)).status_code == 200
    row = await db.get(AuthSession, row_id, populate_existing=True)
    assert row is not None and row.last_seen_at > an_hour_ago  # its use is recorded ...
    assert row.expires_at == before  # ... but its end stays where it was
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == row_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    expired = await client.get(f"{API}/me", headers=token)
    assert expired.status_code == 401
    assert expired.headers["content-type"].startswith("application/problem+json")


async def test_revoked_and_password_changes_end_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    hal = await make_person(db, name="Hal")
    session = await auth_headers(client, hal)
    first, second = await _pat(client, session, ["write"]), await _pat(client, session, ["read"])
    gone = await client.delete(f"{API}/me/sessions/{first['id']}", headers=session)
    assert gone.status_code == 204
    assert (await client.get(f"{API}/me", headers=_bearer(first["token"]))).status_code == 401
    assert (await client.get(f"{API}/me", headers=_bearer(second["token"]))).status_code == 200
    changed = await client.post(
        f"{API}/me/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
        headers=session,
    )
    assert changed.status_code == 204
    assert (await client.get(f"{API}/me", headers=_bearer(second["token"]))).status_code == 401


async def test_many_password_sign_ins_do_not_push_tokens_out(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    ivy = await make_person(db, name="Ivy")
    made = await _pat(client, await auth_headers(client, ivy), ["read"])
    limit = app.state.settings.tokens_per_person
    for _ in range(limit + 1):
        await auth_headers(client, ivy)
    assert (await client.get(f"{API}/me", headers=_bearer(made["token"]))).status_code == 200


async def test_the_sessions_page_makes_shows_once_and_revokes_a_token(
    app: FastAPI, db: AsyncSession
) -> None:
    jo = await make_person(db, name="Jo")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
        assert (await sign_in(browser, jo.email)).status_code == 303
        page = await browser.get("/account/sessions")
        assert 'name="scopes" value="admin"' not in page.text  # Jo is no administrator
        form = {
            "csrf_token": csrf_of(page.text),
            "name": "nightly export",
            "scopes": ["read", "write"],
            "expires_in_days": "10",
        }
        made = await browser.post("/account/tokens", data=form)
        assert made.status_code == 200 and "shown only this once" in made.text
        secret = made.text.split('id="new-token-value" type="text" readonly value="')[1]
        secret = secret.split('"')[0]
        assert secret.startswith("atoll_pat_")
        again = await browser.get("/account/sessions")
        assert "nightly export" in again.text and "read · write" in again.text
        assert secret not in again.text
        assert (await browser.get(f"{API}/me", headers=_bearer(secret))).status_code == 200

        bad = await browser.post("/account/tokens", data={**form, "expires_in_days": "999"})
        assert bad.status_code == 422 and "expires_in_days" in bad.text

        listed = (await browser.get(f"{API}/me/sessions")).json()
        token_id = next(row["id"] for row in listed if row["name"] == "nightly export")
        revoked = await browser.post(
            f"/account/sessions/{token_id}/revoke", data={"csrf_token": csrf_of(again.text)}
        )
        assert revoked.status_code == 303
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.get(f"{API}/me", headers=_bearer(secret))).status_code == 401


async def test_event_streams_check_a_token_again_with_the_same_cap(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    """An open event stream checks its sign-in again at each heartbeat (and takes the person
    as they are then): a token without the admin scope stays a member's there too."""
    ada = await make_person(db, name="Ada", role="admin")
    session = await auth_headers(client, ada)
    write = (await _pat(client, session, ["write"]))["token"]
    admin = (await _pat(client, session, ["admin"]))["token"]
    password_token = session["Authorization"].removeprefix("Bearer ")
    sign_ins = app.state.sign_ins
    roles = [(await sign_ins.person_for(raw)).role for raw in (write, admin, password_token)]
    assert roles == ["member", "admin", "admin"]


async def test_a_person_has_at_most_so_many_tokens(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI
) -> None:
    before = app.state.settings
    app.state.settings = before.model_copy(update={"tokens_per_person": 2})
    try:
        kai = await make_person(db, name="Kai")
        session = await auth_headers(client, kai)
        first = await _pat(client, session, ["read"])
        await _pat(client, session, ["read"])
        body = {"name": "third", "scopes": ["read"]}
        third = await client.post(f"{API}/me/tokens", json=body, headers=session)
        assert third.status_code == 409 and "revoke one first" in third.json()["detail"]
        await client.delete(f"{API}/me/sessions/{first['id']}", headers=session)
        assert (
            await client.post(f"{API}/me/tokens", json=body, headers=session)
        ).status_code == 201
    finally:
        app.state.settings = before
