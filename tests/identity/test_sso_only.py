"""``ATOLL_SSO_ONLY``: members sign in through single sign-on only; a member's password, even
the right one, is refused on the sign-in page and at ``POST /api/v1/auth/token`` with a clear
message, while externals keep signing in with theirs."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import PASSWORD, auth_headers, make_person
from tests.identity.conftest import Configure, OpAgent, callback_path
from tests.identity.test_oidc import start
from tests.web.helpers import csrf_of


async def password_sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD},
    )


async def test_members_cannot_use_a_password(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    oidc(sso_only=True)
    member = await make_person(db)
    page = await password_sign_in(client, member.email)
    assert page.status_code == 403
    assert "Members sign in with Example SSO, not with a password" in page.text
    assert "Sign in with Example SSO</a>" in page.text  # and the way in is right there
    assert "atoll_session" not in page.headers.get("set-cookie", "")
    api = await client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": PASSWORD}
    )
    assert api.status_code == 403
    assert api.headers["content-type"] == "application/problem+json"
    assert "Members sign in with Example SSO" in api.json()["detail"]


async def test_a_wrong_password_still_says_only_that(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    oidc(sso_only=True)
    member = await make_person(db)
    api = await client.post(
        "/api/v1/auth/token", json={"email": member.email, "password": "not the password"}
    )
    assert api.status_code == 401  # who is a member is not told to a stranger


async def test_externals_keep_their_passwords(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    oidc(sso_only=True)
    guest = await make_person(db, kind="external")
    page = await password_sign_in(client, guest.email)
    assert page.status_code == 303 and "atoll_session=" in page.headers["set-cookie"]
    api = await client.post("/api/v1/auth/token", json={"email": guest.email, "password": PASSWORD})
    assert api.status_code == 200


async def test_members_sign_in_through_the_provider(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    oidc(sso_only=True)
    await make_person(db, email="ben@example.com")
    back = await op_agent.sign_in(await start(client), "ben")
    assert (await client.get(callback_path(back))).status_code == 303
    assert (await client.get("/api/v1/me")).json()["email"] == "ben@example.com"


async def test_without_the_option_members_keep_passwords(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    member = await make_person(db)
    assert (await password_sign_in(client, member.email)).status_code == 303


async def test_under_sso_only_a_member_has_no_password_to_change(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    member = await make_person(db)
    headers = await auth_headers(client, member)  # a token from before SSO became the only way
    oidc(sso_only=True)
    changed = await client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
        headers=headers,
    )
    assert changed.status_code == 403 and "not with a password" in changed.json()["detail"]
