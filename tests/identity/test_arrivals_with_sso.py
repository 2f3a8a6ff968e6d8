"""Invitations and password resets beside single sign-on: under ATOLL_SSO_ONLY a member has no
password to reset and accepts an invitation by signing in through SSO, then with one button as
the person signed in with the invited address; externals keep passwords."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.settings import Settings
from tests.conversations.helpers import make_space
from tests.factories import auth_headers, make_person
from tests.mailbox import Inbox, link_in
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"


@pytest.fixture
def sso_only(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Turns on, for the rest of the test, an OpenID provider named in the app's settings and
    members kept to it (the pages here only link to the provider; tests/identity/test_oidc*.py
    sign in through a real one)."""

    def turn_on() -> None:
        monkeypatch.setattr(settings, "oidc_issuer", "https://sso.example.org")
        monkeypatch.setattr(settings, "oidc_client_id", "atoll")
        monkeypatch.setattr(settings, "oidc_provider_name", "Example SSO")
        monkeypatch.setattr(settings, "sso_only", True)

    return turn_on


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.30", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        yield client


def _token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_under_sso_only_members_get_no_reset_link_and_externals_do(
    inbox: Inbox, sso_only: Callable[[], None], client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await make_person(db, name="Mia")
    guest = await make_person(db, name="Gus", kind="external")
    sso_only()
    for person in (member, guest):
        asked = await client.post(f"{API}/auth/password-reset", json={"email": person.email})
        assert asked.status_code == 202
    await inbox.messages()
    assert inbox.to(member.email) == [] and len(inbox.to(guest.email)) == 1


async def test_under_sso_only_an_invited_member_signs_in_with_sso_then_accepts(
    inbox: Inbox,
    sso_only: Callable[[], None],
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    db: AsyncSession,
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    as_admin = await auth_headers(client, admin)
    guild = await make_space(client, as_admin, name="Guild")
    sent = await client.post(
        f"{API}/invitations",
        json={"email": "mo@example.com", "name": "Mo", "space_ids": [guild["id"]]},
        headers=as_admin,
    )
    assert sent.status_code == 201
    await inbox.messages()
    token = _token_of(link_in(inbox.to("mo@example.com")[0], "/invitations/accept"))
    # Mo's account as single sign-on makes it (tests/identity/test_oidc.py shows how), and a
    # browser signed in as Mo
    mo = await make_person(db, name="Mo", email="mo@example.com")
    assert (await sign_in(browser, mo.email)).status_code == 303
    sso_only()

    with_password = await client.post(
        f"{API}/invitations/accept", json={"token": token, "password": "a good passphrase"}
    )
    assert with_password.status_code == 403 and "Example SSO" in with_password.json()["detail"]
    signed_out = await client.get(f"/invitations/accept?token={token}")
    assert signed_out.status_code == 200 and 'name="password"' not in signed_out.text
    assert "/auth/oidc/login?next=%2Finvitations%2Faccept%3Ftoken%3D" in signed_out.text

    page = await browser.get(f"/invitations/accept?token={token}")
    assert "Accept the invitation" in page.text
    accepted = await browser.post(
        "/invitations/accept", data={"csrf_token": csrf_of(page.text), "token": token, "as_me": "1"}
    )
    assert (
        accepted.status_code == 303 and accepted.headers["location"] == f"/spaces/{guild['slug']}"
    )
    listed = (await client.get(f"{API}/invitations", headers=as_admin)).json()["items"]
    assert [(i["status"], i["person_id"]) for i in listed] == [("accepted", str(mo.id))]
    assert (await browser.get(f"/invitations/accept?token={token}")).status_code == 410


async def test_someone_signed_in_with_another_address_cannot_take_the_invitation(
    inbox: Inbox, client: httpx.AsyncClient, browser: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    eve = await make_person(db, name="Eve")
    await client.post(
        f"{API}/invitations",
        json={"email": "nia@example.com"},
        headers=await auth_headers(client, admin),
    )
    await inbox.messages()
    token = _token_of(link_in(inbox.to("nia@example.com")[0], "/invitations/accept"))
    assert (await sign_in(browser, eve.email)).status_code == 303
    page = await browser.get(f"/invitations/accept?token={token}")
    assert "this invitation was sent to nia@example.com" in page.text
    taken = await browser.post(
        "/invitations/accept", data={"csrf_token": csrf_of(page.text), "token": token, "as_me": "1"}
    )
    assert taken.status_code == 403
    assert (await browser.get(f"/invitations/accept?token={token}")).status_code == 200
