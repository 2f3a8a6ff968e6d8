"""OpenID Connect sign-in, the relying party's half: the authorization code flow with PKCE
(S256), a ``state`` and a ``nonce`` bound to the browser, and the ID token checked (its
signature against the issuer's published keys, RS256 or ES256 only; ``iss``, ``aud``,
``azp``, ``exp``, ``iat`` and ``nonce``).

The browser carries the sign-in's secrets itself, in a short-lived cookie signed with the
signing key (``Started.cookie``): nothing is stored before the provider answers. The
provider's endpoints come from its discovery document; JOSE is ``joserfc``'s."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from atoll.kit.errors import AtollError
from atoll.kit.settings import Settings

COOKIE = "atoll_oidc"
COOKIE_PATH = "/auth/oidc"
LIFETIME = 600  # seconds a sign-in may take at the provider
ALGORITHMS = ["RS256", "ES256"]  # never "none", never a shared-secret HS*
TIMEOUT = httpx.Timeout(10.0)


class SignInFailed(AtollError):
    """A sign-in through an identity provider that cannot be trusted or completed."""

    status, title, slug = 400, "Sign-in failed", "sign-in-failed"


def callback_url(settings: Settings) -> str:
    """The redirect URI to register at the provider."""
    return settings.base_url.rstrip("/") + "/auth/oidc/callback"


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


async def _get_json(client: httpx.AsyncClient, url: str, what: str, **kwargs: Any) -> Any:
    try:
        answer = await client.get(url, **kwargs)
        answer.raise_for_status()
        return answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SignInFailed(f"The identity provider's {what} could not be read ({error}).") from None


async def discover(settings: Settings, client: httpx.AsyncClient) -> Provider:
    """The provider's endpoints from ``<issuer>/.well-known/openid-configuration``; its
    ``issuer`` must be the configured one."""
    issuer = settings.oidc_issuer.rstrip("/")
    document = await _get_json(
        client, issuer + "/.well-known/openid-configuration", "discovery document"
    )
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise SignInFailed("The identity provider's discovery document names another issuer.")
    try:
        return Provider(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=document.get("userinfo_endpoint") or None,
        )
    except KeyError as missing:
        raise SignInFailed(f"The identity provider's discovery lacks {missing}.") from None


# --- the browser's half: a signed cookie ------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: Settings, payload: str) -> str:
    return _b64(hmac.new(settings.signing_key, b"oidc:" + payload.encode(), "sha256").digest())


def seal(settings: Settings, data: dict[str, Any]) -> str:
    payload = _b64(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}"


def unseal(settings: Settings, cookie: str | None, *, now: float) -> dict[str, Any]:
    """The sign-in this browser started; SignInFailed when there is none, it was tampered
    with or it is too old."""
    payload, _, mac = (cookie or "").partition(".")
    if not payload or not hmac.compare_digest(_mac(settings, payload), mac):
        raise SignInFailed(
            "This sign-in was not started in this browser, or its state was changed. "
            "Start again from the sign-in page."
        )
    data: dict[str, Any] = json.loads(_unb64(payload))
    if float(data.get("exp", 0)) < now:
        raise SignInFailed("This sign-in took too long. Start again from the sign-in page.")
    return data


@dataclass(frozen=True)
class Started:
    url: str  # where the browser goes: the provider's authorization endpoint
    cookie: str  # the sign-in's state, nonce, PKCE verifier and where to return, sealed


def start(settings: Settings, provider: Provider, *, next_path: str) -> Started:
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = _b64(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": callback_url(settings),
        "scope": settings.oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    sep = "&" if "?" in provider.authorization_endpoint else "?"
    cookie = seal(
        settings,
        {"s": state, "n": nonce, "v": verifier, "next": next_path, "exp": time.time() + LIFETIME},
    )
    return Started(url=provider.authorization_endpoint + sep + urlencode(query), cookie=cookie)


# --- the provider's answer -------------------------------------------------------------------


async def exchange(
    settings: Settings, client: httpx.AsyncClient, provider: Provider, *, code: str, verifier: str
) -> dict[str, Any]:
    """The token endpoint's answer to the code (with the PKCE verifier)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback_url(settings),
        "code_verifier": verifier,
    }
    auth: dict[str, Any] = {}  # client_secret_basic, or a public client naming itself
    if settings.oidc_client_secret:
        auth["auth"] = httpx.BasicAuth(settings.oidc_client_id, settings.oidc_client_secret)
    else:
        form["client_id"] = settings.oidc_client_id
    try:
        answer = await client.post(provider.token_endpoint, data=form, **auth)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SignInFailed(f"The identity provider's token endpoint failed ({error}).") from None
    if answer.status_code != 200 or not isinstance(body, dict) or "id_token" not in body:
        reason = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else ""
        )
        raise SignInFailed(
            "The identity provider refused this sign-in's code (it may have been used "
            f"already): {reason or answer.status_code}. Start again from the sign-in page."
        )
    return body


_CLAIM_MESSAGES = {
    "aud": "The ID token was issued for another application (its audience is not this Atoll).",
    "iss": "The ID token was issued by another provider than the configured one.",
    "nonce": "The ID token was not issued for this sign-in (its nonce does not match).",
    "iat": "The ID token's issue time is in the future.",
    "azp": "The ID token was issued to another application (its authorized party).",
}


def verify_id_token(
    settings: Settings, id_token: str, keys: dict[str, Any], *, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature and claims hold; SignInFailed saying which
    does not."""
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=ALGORITHMS)
        claims: dict[str, Any] = dict(token.claims)
        jwt.JWTClaimsRegistry(
            leeway=settings.oidc_leeway_seconds,
            iss={"essential": True, "value": settings.oidc_issuer.rstrip("/")},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate({**claims, "iss": str(claims.get("iss", "")).rstrip("/")})
    except ExpiredTokenError:
        raise SignInFailed("The ID token has expired. Start again from the sign-in page.") from None
    except ClaimError as error:
        message = _CLAIM_MESSAGES.get(error.claim, f"The ID token's claim {error.claim} is wrong.")
        if not isinstance(error, InvalidClaimError):
            message = f"The ID token lacks the claim {error.claim}."
        raise SignInFailed(message) from None
    except UnsupportedAlgorithmError:
        raise SignInFailed(
            "The ID token is not signed with an algorithm Atoll accepts (RS256 or ES256)."
        ) from None
    except BadSignatureError:
        raise SignInFailed("The ID token's signature does not match the provider's keys.") from None
    except (JoseError, ValueError) as error:
        raise SignInFailed(
            "The ID token is not signed with one of the provider's keys "
            f"({error.__class__.__name__})."
        ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != settings.oidc_client_id:
        raise SignInFailed(_CLAIM_MESSAGES["azp"])
    return claims


async def userinfo(
    client: httpx.AsyncClient, provider: Provider, *, access_token: str, subject: str
) -> dict[str, Any]:
    """The userinfo endpoint's claims about the signed-in subject (none when the provider has
    no such endpoint)."""
    if not provider.userinfo_endpoint or not access_token:
        return {}
    info = await _get_json(
        client,
        provider.userinfo_endpoint,
        "userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise SignInFailed("The identity provider's userinfo is about someone else.")
    return info


async def finish(
    settings: Settings, *, started: dict[str, Any], code: str
) -> tuple[str, dict[str, Any]]:
    """The issuer and the signed-in person's claims (ID token, then userinfo for what it
    lacks) for the code the provider sent back to the sign-in ``started`` (unsealed)."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        provider = await discover(settings, client)
        tokens = await exchange(settings, client, provider, code=code, verifier=started["v"])
        keys = await _get_json(client, provider.jwks_uri, "keys (JWKS)")
        claims = verify_id_token(settings, str(tokens["id_token"]), keys, nonce=started["n"])
        extra = await userinfo(
            client,
            provider,
            access_token=str(tokens.get("access_token", "")),
            subject=str(claims["sub"]),
        )
    return provider.issuer, {**extra, **claims}


def email_verified(settings: Settings, claims: Mapping[str, Any]) -> bool:
    """Whether the provider vouches for the e-mail claim: ``email_verified`` true, or absent
    while ``ATOLL_OIDC_TRUST_EMAIL`` says the provider only hands out addresses it owns."""
    said = claims.get("email_verified")
    if said is None:
        return settings.oidc_trust_email
    return said is True or (isinstance(said, str) and said.lower() == "true")
