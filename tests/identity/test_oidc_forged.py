"""Forged ID tokens are refused. The provider here is a small real HTTP server this test runs
(discovery, keys, token endpoint) that answers the code with a token the test makes: signed
with a key it does not publish, for another audience, expired, with another nonce, unsigned
("alg": "none"), or signed HS256 with the public key as the secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import AuthSession, Person
from tests.identity.conftest import CLIENT_ID, Configure, free_port, query_of
from tests.identity.test_oidc import start
from tests.identity.test_oidc_refused import nothing_changed, refused


@dataclass
class FakeIssuer:
    """An issuer whose token endpoint answers with ``id_token`` (set by the test)."""

    url: str
    key: RSAKey
    id_token: str = ""
    codes: list[str] = field(default_factory=list)

    def claims(self, nonce: str, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "forged-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": "mallory@example.com",
            "email_verified": True,
            "name": "Mallory",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key or self.key)


@pytest.fixture
async def issuer() -> AsyncIterator[FakeIssuer]:
    port = free_port()
    fake = FakeIssuer(
        url=f"http://127.0.0.1:{port}", key=RSAKey.generate_key(2048, parameters={"kid": "k1"})
    )

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": fake.url,
                "authorization_endpoint": fake.url + "/authorize",
                "token_endpoint": fake.url + "/token",
                "jwks_uri": fake.url + "/jwks",
            }
        )

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [fake.key.as_dict(private=False)]})

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        assert form["code_verifier"] and form["grant_type"] == "authorization_code"
        fake.codes.append(str(form["code"]))
        return web.json_response(
            {"id_token": fake.id_token, "access_token": "at", "token_type": "Bearer"}
        )

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks", jwks)
    app.router.add_post("/token", token)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield fake
    finally:
        await runner.cleanup()


async def answer_with(client: httpx.AsyncClient, issuer: FakeIssuer, make: Any) -> httpx.Response:
    """Start a sign-in, let the issuer answer with the token ``make(nonce)`` returns, and
    come back to the callback as the provider would send the browser."""
    query = query_of(await start(client))
    issuer.id_token = make(query["nonce"])
    return await client.get(
        "/auth/oidc/callback", params={"code": "the-code", "state": query["state"]}
    )


@pytest.fixture
def fake(oidc: Configure, issuer: FakeIssuer) -> FakeIssuer:
    oidc(issuer=issuer.url)
    return issuer


async def test_a_well_made_token_signs_in(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    """The control: the fake issuer's honest token works, so each refusal below is the
    token's fault."""
    answer = await answer_with(client, fake, lambda nonce: fake.sign(fake.claims(nonce)))
    assert answer.status_code == 303, answer.text
    assert fake.codes == ["the-code"]
    assert await db.scalar(select(func.count()).select_from(Person)) == 1


async def test_a_forged_signature_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, not published
    answer = await answer_with(client, fake, lambda n: fake.sign(fake.claims(n), other))
    refused(answer, 400, "signature does not match")
    await nothing_changed(db)


async def test_a_wrong_audience_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    answer = await answer_with(client, fake, lambda n: fake.sign(fake.claims(n, aud="another-app")))
    refused(answer, 400, "issued for another application")
    await nothing_changed(db)


async def test_several_audiences_without_us_as_authorized_party_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    answer = await answer_with(
        client, fake, lambda n: fake.sign(fake.claims(n, aud=[CLIENT_ID, "another-app"]))
    )
    refused(answer, 400, "authorized party")
    await nothing_changed(db)
    answer = await answer_with(
        client,
        fake,
        lambda n: fake.sign(fake.claims(n, aud=[CLIENT_ID, "another-app"], azp=CLIENT_ID)),
    )
    assert answer.status_code == 303, answer.text


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    long_ago = int(time.time()) - 3600
    answer = await answer_with(
        client, fake, lambda n: fake.sign(fake.claims(n, iat=long_ago, exp=long_ago + 300))
    )
    refused(answer, 400, "has expired")
    await nothing_changed(db)


async def test_a_wrong_nonce_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    answer = await answer_with(client, fake, lambda n: fake.sign(fake.claims(n + "x")))
    refused(answer, 400, "nonce does not match")
    await nothing_changed(db)


async def test_another_issuer_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    answer = await answer_with(
        client, fake, lambda n: fake.sign(fake.claims(n, iss="https://evil.example"))
    )
    refused(answer, 400, "another provider")
    await nothing_changed(db)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_an_unsigned_token_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    answer = await answer_with(
        client, fake, lambda n: f"{_b64({'alg': 'none'})}.{_b64(fake.claims(n))}."
    )
    refused(answer, 400, "not signed with an algorithm Atoll accepts")
    await nothing_changed(db)


async def test_hs256_with_the_public_key_as_secret_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    secret = fake.key.as_pem(private=False)  # what the attacker knows: the published key

    def hs256(nonce: str) -> str:  # made by hand: JOSE libraries refuse to make it
        signing_input = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(fake.claims(nonce))}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    answer = await answer_with(client, fake, hs256)
    refused(answer, 400, "not signed with an algorithm Atoll accepts")
    await nothing_changed(db)


async def test_a_state_used_twice_is_refused_even_when_the_provider_answers_again(
    client: httpx.AsyncClient, db: AsyncSession, fake: FakeIssuer
) -> None:
    """This issuer takes the same code twice (a real one must not): Atoll's own record of
    the states used refuses the second callback."""
    query = query_of(await start(client))
    fake.id_token = fake.sign(fake.claims(query["nonce"]))
    callback = {"code": "the-code", "state": query["state"]}
    cookie = client.cookies["atoll_oidc"]
    assert (await client.get("/auth/oidc/callback", params=callback)).status_code == 303
    client.cookies.clear()  # the replay brings the sign-in's cookie back, in another browser
    replay = await client.get(
        "/auth/oidc/callback", params=callback, headers={"Cookie": f"atoll_oidc={cookie}"}
    )
    refused(replay, 400, "used already (a replay)")
    assert fake.codes == ["the-code", "the-code"]
    assert await db.scalar(select(func.count()).select_from(AuthSession)) == 1
