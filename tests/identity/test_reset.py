"""Password reset by e-mail, through a real SMTP server: the same answer for an unknown
address, a single-use link valid one hour, every session signed out, and each bad link a
clear 410 that changes nothing."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import PasswordReset
from atoll.kit.time import utcnow
from tests.factories import PASSWORD, make_person
from tests.mailbox import Inbox, body_of, link_in

API = "/api/v1"
NEW = "a brand new passphrase"


async def _ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(f"{API}/auth/password-reset", json={"email": email})


async def _token_from(inbox: Inbox, email: str) -> str:
    await inbox.messages()
    link = link_in(inbox.to(email)[-1], "/password-reset/confirm")
    return parse_qs(urlsplit(link).query)["token"][0]


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/token", json={"email": email, "password": password})


async def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Reset")
    email = ana.email
    old = await _sign_in(client, email, PASSWORD)
    headers = {"Authorization": f"Bearer {old.json()['access_token']}"}

    asked = await _ask(client, email.upper())  # as typed: case does not matter
    assert asked.status_code == 202
    await inbox.messages()
    message = inbox.to(email)
    assert len(message) == 1
    assert message[0]["Subject"] == "Reset your Atoll password"
    assert "within an hour" in body_of(message[0])
    token = await _token_from(inbox, email)

    done = await client.post(
        f"{API}/auth/password-reset/confirm", json={"token": token, "new_password": NEW}
    )
    assert done.status_code == 204, done.text
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 401
    assert (await _sign_in(client, email, PASSWORD)).status_code == 401
    assert (await _sign_in(client, email, NEW)).status_code == 200

    again = await client.post(
        f"{API}/auth/password-reset/confirm",
        json={"token": token, "new_password": "yet another one"},
    )
    assert again.status_code == 410
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "expired or was already used" in again.json()["detail"]
    assert (await _sign_in(client, email, NEW)).status_code == 200


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    gone = await make_person(db, name="Gone")
    gone.is_active = False
    await db.commit()
    known = await _ask(client, ana.email)
    unknown = await _ask(client, "nobody@example.com")
    inactive = await _ask(client, gone.email)
    assert known.status_code == unknown.status_code == inactive.status_code == 202
    assert known.json() == unknown.json() == inactive.json()
    await inbox.messages()
    assert [m["To"] for _, m in inbox.received] == [ana.email]


async def test_bad_links_and_bad_passwords_change_nothing(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    email = ana.email
    await _ask(client, email)
    token = await _token_from(inbox, email)
    confirm = f"{API}/auth/password-reset/confirm"

    weak = await client.post(confirm, json={"token": token, "new_password": "short"})
    assert weak.status_code == 422
    forged = await client.post(confirm, json={"token": "not-a-real-token", "new_password": NEW})
    assert forged.status_code == 410
    assert (await client.post(confirm, json={"token": token})).status_code == 422
    assert (await _ask(client, "not an e-mail")).status_code == 422

    # an hour later the link is dead
    await db.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    late = await client.post(confirm, json={"token": token, "new_password": NEW})
    assert late.status_code == 410
    assert (await _sign_in(client, email, PASSWORD)).status_code == 200


async def test_a_new_password_spends_every_other_open_link(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    email = ana.email
    await _ask(client, email)
    first = await _token_from(inbox, email)
    await _ask(client, email)
    second = await _token_from(inbox, email)
    assert first != second
    confirm = f"{API}/auth/password-reset/confirm"
    ok = await client.post(confirm, json={"token": second, "new_password": NEW})
    assert ok.status_code == 204
    stale = await client.post(confirm, json={"token": first, "new_password": "another passphrase"})
    assert stale.status_code == 410


async def test_requests_for_one_address_are_limited_alike_whoever_has_it(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    for address in (ana.email, "nobody@example.com"):
        answers = [(await _ask(client, address)).status_code for _ in range(4)]
        assert answers == [202, 202, 202, 429]
    limited = await _ask(client, ana.email)
    assert int(limited.headers["Retry-After"]) > 0
    await inbox.messages()
    assert len(inbox.to(ana.email)) == 3
