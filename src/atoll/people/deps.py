"""Who is calling: the request dependencies every domain's routers use to get the signed-in
person (``Viewer``, ``MaybeViewer``), a page's checked form (``Form``), the chrome a full
page shows around its content (``PageChrome``), the write rate limits (``Limits``); and whom
they may see (``VisiblePeople``), for the people domain's own routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement

from atoll.http.client import ANON_COOKIE, settings_of
from atoll.http.csrf import csrf_matches
from atoll.http.request import DB
from atoll.http.signin import presented_secret
from atoll.kit.errors import AtollError, Forbidden, Invalid, Unauthorized
from atoll.people import auth, tokens, totp
from atoll.people.auth import Credential
from atoll.people.models import Person
from atoll.people.write_limits import WriteLimits

CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def optional_credential(request: Request, db: DB) -> Credential | None:
    """Who is calling: a bearer token first, else the session cookie.

    A cookie-authenticated unsafe API call must carry the CSRF token in X-CSRF-Token."""
    if "credential" in request.scope.get("state", {}):
        return request.state.credential
    settings = settings_of(request)
    secret, is_cookie = presented_secret(request.headers) or (None, True)
    credential = await auth.credential_for(db, settings, secret)
    if not is_cookie and credential is None:
        raise Unauthorized("The bearer token is unknown, expired or revoked.")
    if (
        is_cookie
        and credential is not None
        and request.method not in SAFE_METHODS
        and request.url.path.startswith("/api/")
        and not csrf_matches(settings, credential.raw_token, request.headers.get(CSRF_HEADER))
    ):
        raise Forbidden("Missing or wrong X-CSRF-Token header for a cookie-authenticated call.")
    if credential is not None:
        # The caller is a snapshot, detached from the transaction: a rollback (a failed
        # change) must not expire it, because the error page still shows who is signed in.
        # Changes to this person go through a freshly loaded row (access_person).
        db.expunge(credential.person)
        credential = tokens.scoped(credential, request.method)
        if not _spared(request.url.path) and await totp.must_set_up(
            db, settings, person=credential.person
        ):
            raise _set_up_first(request)
    request.state.credential = credential
    return credential


# What a person whom ATOLL_REQUIRE_TOTP holds back may still use: the setup itself, signing
# out, and what the pages load.
_SPARED = ("/account/security", "/api/v1/me/totp", "/sign-out", "/api/v1/auth/logout", "/static/")


def _spared(path: str) -> bool:
    return path.startswith(_SPARED)


class SeeOther(AtollError):
    """A page the caller must go to first (303 with its Location)."""

    status, title, slug = 303, "See other", "see-other"

    def __init__(self, location: str, detail: str) -> None:
        super().__init__(detail)
        self.headers["Location"] = location


def _set_up_first(request: Request) -> AtollError:
    said = "Your organisation requires two-step sign-in: turn it on before anything else."
    if request.method == "GET" and not request.url.path.startswith("/api/"):
        return SeeOther("/account/security?required=1", said)
    return Forbidden(f"{said} Set it up with POST /api/v1/me/totp/setup.")


OptionalCredential = Annotated[Credential | None, Depends(optional_credential)]


async def require_credential(credential: OptionalCredential) -> Credential:
    if credential is None:
        raise Unauthorized("Sign in first.")
    return credential


async def require_person(credential: Annotated[Credential, Depends(require_credential)]) -> Person:
    return credential.person


async def optional_person(credential: OptionalCredential) -> Person | None:
    return credential.person if credential else None


CurrentCredential = Annotated[Credential, Depends(require_credential)]
Viewer = Annotated[Person, Depends(require_person)]
MaybeViewer = Annotated[Person | None, Depends(optional_person)]


async def checked_form(request: Request, credential: OptionalCredential) -> dict[str, str]:
    """The submitted form of a page, after checking its CSRF token against the session (or,
    before sign-in, the anonymous cookie). File fields are left out; read them from
    ``request.form()``."""
    form = await request.form()
    secret = credential.raw_token if credential else request.cookies.get(ANON_COOKIE)
    token = form.get("csrf_token")
    if not csrf_matches(settings_of(request), secret, token if isinstance(token, str) else None):
        raise Forbidden(
            "This form has expired or did not come from Atoll. Reload the page and try again."
        )
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    bad = next((k for k, v in fields.items() if "\x00" in v), None)
    if bad is not None:  # PostgreSQL cannot store it, and no honest form sends it
        raise Invalid.field(bad, "must not contain a NUL character")
    return fields


Form = Annotated[dict[str, str], Depends(checked_form)]


async def with_chrome(request: Request, db: DB, credential: OptionalCredential) -> None:
    """Load what a full page shows around its content for the signed-in viewer — the
    navigation, the unread count, where its event stream starts — with the loader the shell
    installed at startup (``app.state.chrome``), before the page reads anything. An htmx
    request asks for a part of a page, which never shows the chrome: nothing is loaded."""
    chrome = getattr(request.app.state, "chrome", None)
    if credential is None or chrome is None or request.headers.get("hx-request") == "true":
        return
    await chrome(request, db, credential.person)


# A full page's GET route declares it: ``@router.get(path, dependencies=[PageChrome])``.
# Fragments, downloads, redirects and the API do not.
PageChrome = Depends(with_chrome)


PeopleRule = Callable[[Person], ColumnElement[bool]]


async def visible_people(request: Request, viewer: Viewer) -> ColumnElement[bool]:
    """The people the viewer may see, as a SQL clause. It depends on the spaces people share,
    which the spaces domain decides above this one: the shell installs that rule at startup
    (``app.state.visible_people``: ``atoll.spaces.policy.visible_people``)."""
    rule: PeopleRule = request.app.state.visible_people
    return rule(viewer)


VisiblePeople = Annotated[ColumnElement[bool], Depends(visible_people)]


def write_limits(request: Request) -> WriteLimits:
    """The write rate limits of the app's settings (``atoll.people.write_limits``), which the
    routers that write on a person's behalf hand to the services."""
    return WriteLimits.of(settings_of(request))


Limits = Annotated[WriteLimits, Depends(write_limits)]
