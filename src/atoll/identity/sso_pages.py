"""Single sign-on's routes, for browsers (API clients take tokens from the sessions page or
personal access tokens): ``/auth/oidc/login`` sends the browser to the OpenID provider,
``/auth/oidc/callback`` signs it in with the same session a password gives
(``atoll.people.pages.signed_in``)."""

from __future__ import annotations

import hmac
import time
from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.client import secure_cookies
from atoll.http.request import DB, AppSettings
from atoll.identity import accounts, oidc
from atoll.kit.errors import NotFound
from atoll.people.deps import OptionalCredential
from atoll.people.pages import _safe_next, signed_in

router = APIRouter(include_in_schema=False)

Param = Annotated[str, Query(max_length=4000)]


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, settings: AppSettings, next: Param = "/") -> Response:
    """Start an OpenID Connect sign-in: to the provider, with this browser's state."""
    if not settings.oidc_enabled:
        raise NotFound("Single sign-on is not set up here.")

    async with httpx.AsyncClient(timeout=oidc.TIMEOUT) as client:
        provider = await oidc.discover(settings, client)
    started = oidc.start(settings, provider, next_path=_safe_next(next))
    redirect = RedirectResponse(started.url, status_code=303)
    redirect.set_cookie(
        oidc.COOKIE,
        started.cookie,
        max_age=oidc.LIFETIME,
        path=oidc.COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return redirect


@router.get("/auth/oidc/callback")
async def oidc_callback(
    request: Request,
    db: DB,
    settings: AppSettings,
    credential: OptionalCredential,
    code: Param = "",
    state: Param = "",
    error: Param = "",
    error_description: Param = "",
) -> Response:
    """The provider sends the browser back here with a code: check it, sign in."""
    if not settings.oidc_enabled:
        raise NotFound("Single sign-on is not set up here.")
    if error:
        raise oidc.SignInFailed(
            f"The identity provider did not sign you in: {error_description or error}."
        )
    now = time.time()
    started = oidc.unseal(settings, request.cookies.get(oidc.COOKIE), now=now)
    if not state or not hmac.compare_digest(str(started["s"]), state):
        raise oidc.SignInFailed(
            "This sign-in answer does not belong to the sign-in started in this browser "
            "(its state differs). Start again from the sign-in page."
        )
    if not code:
        raise oidc.SignInFailed("The identity provider sent no code back.")
    issuer, claims = await oidc.finish(settings, started=started, code=code)
    await accounts.do_use_once(
        db, key=f"oidc:{state}", expires_at=datetime.fromtimestamp(started["exp"], UTC)
    )
    identity = accounts.identity_from_claims(
        settings, issuer=issuer, claims=claims, email_verified=claims.get("email_verified") is True
    )
    person = await accounts.do_sso_sign_in(db, settings, identity=identity)
    response = await signed_in(
        request, db, settings, person=person, target=started["next"], credential=credential
    )
    response.delete_cookie(oidc.COOKIE, path=oidc.COOKIE_PATH)
    return response
