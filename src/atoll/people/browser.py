"""Signing a browser in: a new session, its cookie, and the way on. Every path that signs a
person in through a page (the password form, an accepted invitation, single sign-on) ends
here, so the cookie is set one way."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.http.client import ANON_COOKIE, client_address, secure_cookies
from atoll.http.signin import SESSION_COOKIE
from atoll.kit.settings import Settings
from atoll.people import auth, totp
from atoll.people.auth import Credential
from atoll.people.models import Person


async def start_browser_session(
    request: Request,
    db: AsyncSession,
    settings: Settings,
    *,
    person: Person,
    target: str,
    replacing: Credential | None,
) -> RedirectResponse:
    """Sign ``person``, whose credentials were checked, in on this browser (ending the session
    of whoever was signed in here, ``replacing``) and send the browser on to ``target``, a local
    path — or to the TOTP setup first when ``ATOLL_REQUIRE_TOTP`` asks it of them."""
    if replacing is not None:
        await auth.do_revoke(db, auth=replacing.auth)
    if await totp.must_set_up(db, settings, person=person):
        target = "/account/security?required=1"
    started = await auth.do_start_session(
        db,
        settings,
        person=person,
        kind=auth.SESSION,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(request),
    )
    redirect = RedirectResponse(target, status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        started.secret,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    redirect.delete_cookie(ANON_COOKIE)
    return redirect


def sso_providers(settings: Settings) -> list[tuple[str, str]]:
    """The single sign-on providers set up (``ATOLL_OIDC_*``, ``ATOLL_SAML_*``), as (name,
    path that starts signing in), for the pages that offer "Sign in with …"."""
    providers = []
    if settings.oidc_enabled:
        providers.append((settings.oidc_provider_name, "/auth/oidc/login"))
    if settings.saml_enabled:
        providers.append((settings.saml_provider_name, "/auth/saml/login"))
    return providers
