"""Bad OpenID Connect answers are refused with a readable page and change nothing: a tampered
state, a replayed callback, a sign-in started in another browser, a refusal at the provider,
an unverified e-mail, a domain not allowed, a deactivated person (against the real provider)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import SsoLink
from atoll.people.models import AuthSession, Person
from tests.factories import make_person
from tests.identity.conftest import Configure, OpAgent, callback_path
from tests.identity.test_oidc import start


async def nothing_changed(db: AsyncSession, people: int = 0) -> None:
    assert await db.scalar(select(func.count()).select_from(Person)) == people
    assert await db.scalar(select(func.count()).select_from(AuthSession)) == 0
    assert await db.scalar(select(func.count()).select_from(SsoLink)) == 0


def refused(answer: httpx.Response, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")  # a page, for the browser
    assert words in answer.text, answer.text
    assert "atoll_session" not in answer.headers.get("set-cookie", "")


async def test_a_tampered_state_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "ana")
    tampered = back.replace("state=", "state=x")
    refused(await client.get(callback_path(tampered)), 400, "its state differs")
    await nothing_changed(db)


async def test_a_tampered_cookie_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "ana")
    cookie = next(c for c in client.cookies.jar if c.name == "atoll_oidc")
    assert cookie.value
    cookie.value = ("B" if cookie.value[0] == "A" else "A") + cookie.value[1:]
    refused(await client.get(callback_path(back)), 400, "not started in this browser")
    await nothing_changed(db)


async def test_an_answer_for_another_browser_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "ana")
    client.cookies.clear()  # the callback arrives in a browser that did not start it
    refused(await client.get(callback_path(back)), 400, "not started in this browser")
    await nothing_changed(db)


async def test_a_replayed_callback_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "ana")
    first = await client.get(callback_path(back))
    assert first.status_code == 303, first.text
    replay = await client.get(callback_path(back))
    refused(replay, 400, "Start again")
    assert await db.scalar(select(func.count()).select_from(AuthSession)) == 1
    assert await db.scalar(select(func.count()).select_from(Person)) == 1


async def test_a_refusal_at_the_provider_is_shown(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure
) -> None:
    await start(client)
    answer = await client.get(
        "/auth/oidc/callback",
        params={"error": "access_denied", "error_description": "End-User aborted interaction"},
    )
    refused(answer, 400, "did not sign you in: End-User aborted interaction")
    await nothing_changed(db)


async def test_an_unverified_email_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "unverified")
    refused(await client.get(callback_path(back)), 403, "has not verified the address")
    await nothing_changed(db)


async def test_an_unverified_email_does_not_take_over_an_existing_person(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    await make_person(db, email="eve@example.com")
    back = await op_agent.sign_in(await start(client), "unverified")
    refused(await client.get(callback_path(back)), 403, "has not verified the address")
    await nothing_changed(db, people=1)


async def test_an_address_the_provider_does_not_vouch_for_is_trusted_only_when_told(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    """Entra ID sends no email_verified: such an address is refused unless
    ATOLL_OIDC_TRUST_EMAIL says the provider vouches for its addresses; an explicit false
    is refused even then."""
    back = await op_agent.sign_in(await start(client), "silent")
    refused(await client.get(callback_path(back)), 403, "has not verified the address")
    await nothing_changed(db)
    oidc(oidc_trust_email=True)
    back = await op_agent.sign_in(await start(client), "silent")
    assert (await client.get(callback_path(back))).status_code == 303
    client.cookies.clear()
    op_agent.http.cookies.clear()  # another person, in another browser
    back = await op_agent.sign_in(await start(client), "unverified")
    refused(await client.get(callback_path(back)), 403, "has not verified the address")


async def test_a_domain_not_allowed_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    oidc(sso_allowed_domains="example.com, example.net")
    back = await op_agent.sign_in(await start(client), "outsider")
    refused(await client.get(callback_path(back)), 403, "Addresses at elsewhere.org cannot")
    await nothing_changed(db)


async def test_an_allowed_domain_signs_in(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    oidc(sso_allowed_domains="Example.com")
    back = await op_agent.sign_in(await start(client), "ben")
    assert (await client.get(callback_path(back))).status_code == 303


async def test_a_deactivated_person_cannot_sign_in(
    client: httpx.AsyncClient, db: AsyncSession, oidc: Configure, op_agent: OpAgent
) -> None:
    back = await op_agent.sign_in(await start(client), "ana")
    assert (await client.get(callback_path(back))).status_code == 303  # linked now
    await db.execute(update(Person).values(is_active=False))
    await db.commit()
    client.cookies.clear()
    back = await op_agent.sign_in(await start(client), "ana")
    refused(await client.get(callback_path(back)), 403, "This account is deactivated")
    assert await db.scalar(select(func.count()).select_from(AuthSession)) == 1  # the first only
