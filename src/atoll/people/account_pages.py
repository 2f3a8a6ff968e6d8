"""The caller's own credentials, pages: the second step of a sign-in with TOTP on
(``/sign-in/code``), two-step sign-in itself (``/account/security``: set up with a QR code,
recovery codes, turn off) and making a personal access token (on ``/account/sessions``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.client import client_address
from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import AtollError, Invalid, RateLimited
from atoll.kit.time import utcnow
from atoll.people import otp, tokens, totp
from atoll.people.browser import start_browser_session
from atoll.people.deps import CurrentCredential, Form, OptionalCredential, PageChrome, Viewer
from atoll.people.models import Person
from atoll.people.pages import safe_next, sessions_context

router = APIRouter(include_in_schema=False)


@router.post("/sign-in/code")
async def sign_in_code(
    request: Request, form: Form, db: DB, settings: AppSettings, credential: OptionalCredential
) -> Response:
    """The code (or a recovery code) after the password; the pending state proves the password
    was right less than five minutes ago."""
    state, target = form.get("pending", ""), safe_next(form.get("next"))
    person_id = otp.pending_person(settings.signing_key, state, now=utcnow())
    person = await db.get(Person, person_id) if person_id is not None else None
    if person is None or not person.is_active:
        return render(
            request,
            "people/sign_in.html",
            {"next": target, "error": "That sign-in took too long. Please sign in again."},
            status_code=401,
        )
    ctx: dict[str, Any] = {"next": target, "pending": state}
    try:
        ok = await totp.do_check_code(
            db, settings, person=person, code=form.get("code", ""), address=client_address(request)
        )
    except RateLimited as error:
        await discard_changes(db, request)  # a refused attempt counts for nothing
        response = render(
            request, "people/sign_in_code.html", {**ctx, "error": error.detail}, status_code=429
        )
        response.headers.update(error.headers)
        return response
    if not ok:
        ctx["error"] = "That code is wrong or was used already. Try the next one."
        return render(request, "people/sign_in_code.html", ctx, status_code=401)
    return await start_browser_session(
        request, db, settings, person=person, target=target, replacing=credential
    )


async def _security_context(
    db: DB, settings: AppSettings, viewer: Person, **more: Any
) -> dict[str, Any]:
    state = await totp.status(db, person=viewer)
    ctx: dict[str, Any] = {
        "enabled": state.enabled,
        "codes_left": state.recovery_codes_left,
        "has_password": bool(viewer.password_hash),
        "required": settings.require_totp and bool(viewer.password_hash),
    }
    setup = more.pop("setup", None)
    if setup is not None:
        ctx.update(setup=setup, qr=otp.qr_svg(setup.uri))
    ctx.update(more)
    return ctx


@router.get("/account/security", dependencies=[PageChrome])
async def security_page(
    request: Request, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    ctx = await _security_context(db, settings, viewer)
    return render(request, "people/security.html", ctx)


@router.post("/account/security/setup")
async def security_setup(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    setup = await totp.do_start_setup(db, settings, person=viewer)
    ctx = await _security_context(db, settings, viewer, setup=setup)
    return render(request, "people/security.html", ctx)


@router.post("/account/security/confirm")
async def security_confirm(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    try:
        codes = await totp.do_confirm_setup(
            db, settings, person=viewer, code=form.get("code", "")[:64]
        )
    except Invalid as error:
        await discard_changes(db, request)
        setup = await totp.pending_setup(db, settings, person=viewer)
        ctx = await _security_context(db, settings, viewer, setup=setup, error=error.detail)
        return render(request, "people/security.html", ctx, status_code=422)
    ctx = await _security_context(db, settings, viewer, recovery_codes=codes)
    ctx["enabled"] = True
    return render(request, "people/security.html", ctx)


@router.post("/account/security/recovery-codes")
async def security_recovery_codes(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    try:
        codes = await totp.do_renew_recovery_codes(
            db,
            settings,
            person=viewer,
            code=form.get("code", "")[:64],
            address=client_address(request),
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _security_context(db, settings, viewer, renew_error=error.detail)
        response = render(request, "people/security.html", ctx, status_code=error.status)
        response.headers.update(error.headers)
        return response
    ctx = await _security_context(db, settings, viewer, recovery_codes=codes)
    return render(request, "people/security.html", ctx)


@router.post("/account/security/disable")
async def security_disable(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    try:
        await totp.do_disable(
            db,
            settings,
            person=viewer,
            password=form.get("password", ""),
            code=form.get("code", "")[:64],
            address=client_address(request),
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _security_context(db, settings, viewer, disable_error=error.detail)
        response = render(request, "people/security.html", ctx, status_code=error.status)
        response.headers.update(error.headers)
        return response
    return RedirectResponse("/account/security?disabled=1", status_code=303)


@router.post("/account/tokens")
async def create_token(
    request: Request, form: Form, credential: CurrentCredential, db: DB, settings: AppSettings
) -> Response:
    """Make a personal access token from the sessions page; the page shows it once."""
    chosen = [s for s in (await request.form()).getlist("scopes") if isinstance(s, str)]
    days = form.get("expires_in_days", "").strip()
    try:
        if days and not days.isdigit():
            raise Invalid.field("expires_in_days", "must be a whole number of days")
        started = await tokens.do_create_token(
            db,
            settings,
            credential=credential,
            name=form.get("name", "")[:100],
            scopes=chosen,
            expires_in_days=int(days[:4]) if days else None,
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await sessions_context(db, credential, token_error=error.detail, form=form)
        return render(request, "people/sessions.html", ctx, status_code=error.status)
    ctx = await sessions_context(db, credential, new_token=started.secret, new=started.auth)
    return render(request, "people/sessions.html", ctx)
