"""Single sign-on's routes, for browsers (API clients take tokens from the sessions page or
personal access tokens): ``/auth/oidc/login`` sends the browser to the OpenID provider,
``/auth/oidc/callback`` signs it in with the same session a password gives
(``atoll.people.browser.start_browser_session``); ``/auth/saml/login`` sends it to the SAML
IdP, whose answer comes back to ``/auth/saml/acs``; ``/auth/saml/metadata`` describes Atoll
to the IdP."""

from __future__ import annotations

import asyncio
import hmac
import time
from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.client import secure_cookies
from atoll.http.request import DB, AppSettings
from atoll.identity import accounts, oidc, once, saml
from atoll.kit.errors import NotFound
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people.browser import start_browser_session
from atoll.people.deps import OptionalCredential
from atoll.people.pages import safe_next

router = APIRouter(include_in_schema=False)

Param = Annotated[str, Query(max_length=4000)]


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, settings: AppSettings, next: Param = "/") -> Response:
    """Start an OpenID Connect sign-in: to the provider, with this browser's state."""
    if not settings.oidc_enabled:
        raise NotFound("Single sign-on is not set up here.")

    async with httpx.AsyncClient(timeout=oidc.TIMEOUT) as client:
        provider = await oidc.discover(settings, client)
    started = oidc.start(settings, provider, next_path=safe_next(next))
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
            f"The identity provider did not sign you in: {(error_description or error)[:200]}."
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
    await once.do_use_once(
        db, key=f"oidc:{state}", expires_at=datetime.fromtimestamp(started["exp"], UTC)
    )
    identity = accounts.identity_from_claims(
        settings, issuer=issuer, claims=claims, email_verified=oidc.email_verified(settings, claims)
    )
    person = await accounts.do_sso_sign_in(db, settings, identity=identity)
    response = await start_browser_session(
        request,
        db,
        settings,
        person=person,
        target=safe_next(started["next"]),
        replacing=credential,
    )
    response.delete_cookie(oidc.COOKIE, path=oidc.COOKIE_PATH)
    return response


# --- SAML 2.0 -------------------------------------------------------------------------------

SAML_COOKIE = "atoll_saml"  # the request this browser sent, to match the answer it brings


def _saml_enabled(settings: Settings) -> None:
    if not settings.saml_enabled:
        raise NotFound("SAML sign-in is not set up here.")


@router.get("/auth/saml/metadata")
async def saml_metadata(settings: AppSettings) -> Response:
    """Atoll's service provider metadata (entity id, assertion consumer service)."""
    _saml_enabled(settings)
    xml = await asyncio.to_thread(saml.metadata, settings)
    return Response(xml, media_type="application/samlmetadata+xml")


@router.get("/auth/saml/login")
async def saml_login(
    request: Request, db: DB, settings: AppSettings, next: Param = "/"
) -> Response:
    """Send the browser to the IdP with an authentication request Atoll remembers."""
    _saml_enabled(settings)
    request_id, url = await asyncio.to_thread(saml.start, settings, relay_state=safe_next(next))
    await once.do_remember(
        db, key=f"saml-request:{request_id}", expires_at=utcnow() + saml.REQUEST_LIFETIME
    )
    redirect = RedirectResponse(url, status_code=303)
    # The IdP's answer is a cross-site POST: only a SameSite=None cookie comes with it, and
    # browsers keep those only when Secure (https). Over http the cookie is Lax and the
    # answer is matched by the request it names alone.
    secure = secure_cookies(request)
    redirect.set_cookie(
        SAML_COOKIE,
        request_id,
        max_age=int(saml.REQUEST_LIFETIME.total_seconds()),
        path="/auth/saml",
        httponly=True,
        samesite="none" if secure else "lax",
        secure=secure,
    )
    return redirect


@router.post("/auth/saml/acs")
async def saml_acs(
    request: Request, db: DB, settings: AppSettings, credential: OptionalCredential
) -> Response:
    """The IdP's answer (HTTP-POST binding): check it, sign in."""
    _saml_enabled(settings)
    form = await request.form()
    posted, relay = form.get("SAMLResponse"), form.get("RelayState")
    if not isinstance(posted, str) or not posted or len(posted) > 500_000:
        raise saml.SignInFailed("The SAML answer is missing.")
    request_id = saml.in_response_to(posted)
    browser = request.cookies.get(SAML_COOKIE)
    if not request_id or (browser or secure_cookies(request)) and browser != request_id:
        raise saml.SignInFailed(
            "This SAML answer does not belong to a sign-in started in this browser. "
            "Start again from the sign-in page."
        )
    answer = await asyncio.to_thread(
        saml.read, settings, saml_response=posted, request_id=request_id
    )
    if not await once.do_consume(db, key=f"saml-request:{request_id}"):
        raise saml.SignInFailed(
            "This SAML answer was used already, or its sign-in took too long. "
            "Start again from the sign-in page."
        )
    await once.do_use_once(
        db, key=f"saml:{answer.issuer}:{answer.assertion_id}", expires_at=answer.not_on_or_after
    )
    identity = accounts.identity_from_claims(
        settings, issuer=answer.issuer, claims=saml.claims_of(answer), email_verified=True
    )
    person = await accounts.do_sso_sign_in(db, settings, identity=identity)
    target = relay if isinstance(relay, str) else "/"
    response = await start_browser_session(
        request, db, settings, person=person, target=safe_next(target), replacing=credential
    )
    response.delete_cookie(SAML_COOKIE, path="/auth/saml")
    return response
