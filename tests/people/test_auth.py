"""Sign-in that holds under attack, through the JSON API: the throttle counts atomically, per
account and address and per address, never locks the owner out; tokens expire and are
bounded; the client address is the peer's unless a trusted proxy says otherwise."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people import auth
from tests.factories import PASSWORD, make_person
from tests.web.helpers import sign_in

TOKEN = "/api/v1/auth/token"


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address`` (the peer the app sees)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **kw):  # type: ignore[no-untyped-def]
    return await client.post(TOKEN, json={"email": email, "password": password}, **kw)


def _time(value: str) -> datetime:
    assert value.endswith("Z"), value  # RFC 3339, UTC
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the failure throttle -------------------------------------------------------------------


async def test_concurrent_wrong_passwords_are_checked_up_to_the_limit_exactly(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    answers = await asyncio.gather(
        *(_sign_in(client, ana.email, "wrong password") for _ in range(40))
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {401: 5, 429: 35}
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)


async def test_an_attacker_failing_on_an_account_does_not_lock_its_owner_out(
    app: FastAPI, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin")
    async with client_at(app, "198.51.100.66") as attacker:
        for _ in range(5):
            assert (await _sign_in(attacker, admin.email, "guess guess")).status_code == 401
        refused = await _sign_in(attacker, admin.email, PASSWORD)  # even the right one, now
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    async with client_at(app, "192.0.2.10") as owner:
        assert (await _sign_in(owner, admin.email)).status_code == 200


async def test_failures_from_many_addresses_slow_the_account_down_but_let_its_owner_in(
    app: FastAPI, db: AsyncSession
) -> None:
    """Past ``ATOLL_LOGIN_MAX_FAILURES_ACCOUNT`` failures on the account (20), an address that
    has failed on it gets no second guess; an address that has not failed still signs in."""
    ana = await make_person(db)
    for n in range(5):  # 5 addresses × 4 failures: 20, each address under its own limit
        async with client_at(app, f"198.51.100.{n}") as attacker:
            for _ in range(4):
                assert (await _sign_in(attacker, ana.email, "guess guess")).status_code == 401
    async with client_at(app, "198.51.100.50") as fresh:
        assert (await _sign_in(fresh, ana.email, "guess guess")).status_code == 401  # 21st
        assert (await _sign_in(fresh, ana.email, "guess again")).status_code == 429
    async with client_at(app, "198.51.100.0") as earlier:
        assert (await _sign_in(earlier, ana.email, "guess guess")).status_code == 429
    async with client_at(app, "192.0.2.10") as owner:
        assert (await _sign_in(owner, ana.email)).status_code == 200


async def test_an_ipv6_client_is_counted_by_its_network(app: FastAPI, db: AsyncSession) -> None:
    ana = await make_person(db)
    for n in range(5):  # five addresses of one /64
        async with client_at(app, f"2001:db8:1:2::{n + 1}") as attacker:
            assert (await _sign_in(attacker, ana.email, "guess guess")).status_code == 401
    async with client_at(app, "2001:db8:1:2::ff") as attacker:
        assert (await _sign_in(attacker, ana.email, "guess guess")).status_code == 429
    async with client_at(app, "2001:db8:1:3::1") as owner:  # the next /64
        assert (await _sign_in(owner, ana.email)).status_code == 200


async def test_successful_sign_ins_are_throttled_per_address(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "login_max_successes_address", 3)
    ana = await make_person(db)
    for _ in range(3):
        assert (await _sign_in(client, ana.email)).status_code == 200
    refused = await _sign_in(client, ana.email)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "sign-ins from your network" in refused.json()["detail"]
    async with client_at(app, "192.0.2.44") as elsewhere:
        assert (await _sign_in(elsewhere, ana.email)).status_code == 200


async def test_the_sign_in_page_says_when_to_try_again(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    for _ in range(5):
        assert (await sign_in(client, ana.email, "not the password")).status_code == 401
    page = await sign_in(client, ana.email)
    assert page.status_code == 429 and int(page.headers["retry-after"]) > 0
    assert page.headers["content-type"].startswith("text/html")
    assert "Too many failed sign-ins" in page.text and "try again in 15 minutes" in page.text
    assert "atoll_session" not in client.cookies


# --- the client address ---------------------------------------------------------------------


async def test_a_forwarded_address_is_not_believed_from_an_untrusted_peer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    for n in range(20):  # rotating X-Forwarded-For: still one address, 203.0.113.7
        forged = {"X-Forwarded-For": f"192.0.2.{n}"}
        assert (await _sign_in(client, f"guess{n}@example.com", headers=forged)).status_code == 401
    refused = await _sign_in(client, ana.email, headers={"X-Forwarded-For": "192.0.2.200"})
    assert refused.status_code == 429


async def test_a_trusted_proxy_names_the_client(
    app: FastAPI, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "trusted_proxies", "10.0.0.0/8, 192.0.2.1")
    ana = await make_person(db)
    async with client_at(app, "10.1.2.3") as proxy:
        for _ in range(5):  # one client behind the proxy fails ...
            behind = {"X-Forwarded-For": "198.51.100.7, 192.0.2.1"}  # client, then a 2nd proxy
            assert (await _sign_in(proxy, ana.email, "guess", headers=behind)).status_code == 401
        assert (await _sign_in(proxy, ana.email, headers=behind)).status_code == 429
        # ... another, through the same proxy, signs in; what a client forged on the left of
        # the header is not read
        other = {"X-Forwarded-For": "198.51.100.7, 203.0.113.99"}
        answer = await _sign_in(proxy, ana.email, headers=other)
        assert answer.status_code == 200
        token = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        mine = (await proxy.get("/api/v1/me/sessions", headers=token)).json()
    assert [s["address"] for s in mine if s["current"]] == ["203.0.113.99"]


# --- tokens that expire ---------------------------------------------------------------------


async def test_a_token_answers_when_it_expires_and_slides_with_use(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    before = utcnow()
    answer = await _sign_in(client, ana.email)
    assert answer.status_code == 200
    expires = _time(answer.json()["expires_at"])
    assert before + timedelta(days=30) <= expires <= utcnow() + timedelta(days=30)
    # A token last used 20 days ago still works, and its end moves on from now.
    then = utcnow() - timedelta(days=20)
    old = await auth.do_start_session(db, app.state.settings, person=ana, kind=auth.TOKEN, now=then)
    await db.commit()
    assert old.auth.expires_at == then + timedelta(days=30)
    headers = {"Authorization": f"Bearer {old.secret}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    listed = (await client.get("/api/v1/me/sessions", headers=headers)).json()
    current = next(s for s in listed if s["current"])
    assert _time(current["expires_at"]) >= before + timedelta(days=30)


async def test_a_token_unused_for_longer_than_token_days_stops_working(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db)
    stale = await auth.do_start_session(
        db, app.state.settings, person=ana, kind=auth.TOKEN, now=utcnow() - timedelta(days=31)
    )
    await db.commit()
    answer = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {stale.secret}"})
    assert answer.status_code == 401


async def test_signing_in_beyond_the_bound_revokes_the_least_recently_used_token(
    app: FastAPI, client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "tokens_per_person", 3)
    ana = await make_person(db)
    now = utcnow()
    made = [
        await auth.do_start_session(
            db, app.state.settings, person=ana, kind=auth.TOKEN, now=now - timedelta(days=d)
        )
        for d in (3, 2, 1)
    ]
    await db.commit()
    oldest, unused, newer = ({"Authorization": f"Bearer {m.secret}"} for m in made)
    assert (await client.get("/api/v1/me", headers=oldest)).status_code == 200  # used now
    fourth = {
        "Authorization": f"Bearer {(await _sign_in(client, ana.email)).json()['access_token']}"
    }
    assert (await client.get("/api/v1/me", headers=unused)).status_code == 401
    for headers in (oldest, newer, fourth):
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    listed = (await client.get("/api/v1/me/sessions", headers=fourth)).json()
    assert [s["kind"] for s in listed] == ["token"] * 3
