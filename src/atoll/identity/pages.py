"""Identity pages: forgot password, choose a new one from the e-mailed link, accept an
invitation, and send invitations (administrators at /admin/invitations; the owners and
moderators of a hybrid space from its members tab)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from atoll.http.client import client_address
from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.identity import invitations, reset
from atoll.identity.models import Invitation
from atoll.kit.errors import AtollError, Invalid, RateLimited
from atoll.people.browser import sso_providers, start_browser_session
from atoll.people.deps import Form, MaybeViewer, OptionalCredential, PageChrome, Viewer
from atoll.people.models import Person, Unit
from atoll.people.policy import is_admin
from atoll.spaces.models import Space
from atoll.spaces.policy import is_open_for_writing

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=200)]


def _field_errors(error: AtollError) -> dict[str, str]:
    return {e["field"]: e["message"] for e in error.errors if "field" in e}


# --- forgot password ------------------------------------------------------------------------


@router.get("/password-reset")
async def forgot_page(request: Request) -> Response:
    return render(request, "identity/forgot.html", {})


@router.post("/password-reset")
async def forgot(request: Request, form: Form, db: DB, settings: AppSettings) -> Response:
    email = form.get("email", "")[:320]
    try:
        await reset.do_request_reset(db, settings, email=email, client=client_address(request))
    except (Invalid, RateLimited) as error:
        await discard_changes(db, request)
        response = render(
            request,
            "identity/forgot.html",
            {"email": email, "error": error.detail.removeprefix("email: ")},
            status_code=error.status,
        )
        response.headers.update(error.headers)
        return response
    return render(request, "identity/forgot.html", {"sent": True, "email": email})


@router.get("/password-reset/confirm")
async def choose_page(request: Request, db: DB, token: Token = "") -> Response:
    await reset.pending_reset(db, secret=token)  # 410 page for a dead link
    return render(request, "identity/choose.html", {"token": token})


@router.post("/password-reset/confirm")
async def choose(request: Request, form: Form, db: DB, settings: AppSettings) -> Response:
    token = form.get("token", "")[:200]
    try:
        await reset.do_confirm_reset(
            db, settings, secret=token, new_password=form.get("new_password", "")
        )
    except Invalid as error:
        return render(
            request,
            "identity/choose.html",
            {"token": token, "errors": _field_errors(error)},
            status_code=error.status,
        )
    return RedirectResponse("/sign-in?reset=1", status_code=303)


# --- accepting an invitation ----------------------------------------------------------------


def _accept_context(
    settings: AppSettings, invitation: Invitation, token: str, viewer: Person | None, **more: Any
) -> dict[str, Any]:
    """The accept page: a password form, or single sign-on (which members must use under
    ``ATOLL_SSO_ONLY``), or — for someone signed in with the invited address — one button."""
    back = "/invitations/accept?" + urlencode({"token": token})
    return {
        "token": token,
        "invitation": invitation,
        "name": invitation.name,
        "signed_in": viewer,
        "is_invited": viewer is not None and viewer.email == invitation.email,
        "sso": [
            (name, f"{path}?{urlencode({'next': back})}") for name, path in sso_providers(settings)
        ],
        "sso_only": invitations.uses_single_sign_on(settings, invitation),
        **more,
    }


@router.get("/invitations/accept")
async def accept_page(
    request: Request, db: DB, settings: AppSettings, viewer: MaybeViewer, token: Token = ""
) -> Response:
    invitation = await invitations.pending_invitation(db, secret=token)
    return render(
        request, "identity/accept.html", _accept_context(settings, invitation, token, viewer)
    )


@router.post("/invitations/accept")
async def accept(
    request: Request,
    form: Form,
    db: DB,
    settings: AppSettings,
    credential: OptionalCredential,
) -> Response:
    token, name = form.get("token", "")[:200], form.get("name", "")[:200]
    if form.get("as_me") and credential is not None:  # signed in with the invited address
        joined = await invitations.do_accept_as(db, secret=token, person=credential.person)
        return RedirectResponse(f"/spaces/{joined[0].slug}" if joined else "/", status_code=303)
    try:
        person, joined = await invitations.do_accept(
            db, settings, secret=token, name=name, password=form.get("password", "")
        )
    except Invalid as error:
        await discard_changes(db, request)
        invitation = await invitations.pending_invitation(db, secret=token)
        viewer = credential.person if credential else None
        ctx = _accept_context(
            settings, invitation, token, viewer, name=name, errors=_field_errors(error)
        )
        return render(request, "identity/accept.html", ctx, status_code=error.status)
    target = f"/spaces/{joined[0].slug}" if joined else "/"
    return await start_browser_session(
        request, db, settings, person=person, target=target, replacing=credential
    )


# --- sending invitations --------------------------------------------------------------------


async def _choices(db: DB, viewer: Viewer) -> dict[str, Any]:
    """What the admin form offers: units and the spaces people may be invited into."""
    if not is_admin(viewer):
        return {"units": [], "spaces": []}
    units = (await db.execute(select(Unit).order_by(Unit.path).limit(500))).scalars().all()
    spaces = (
        await db.execute(
            select(Space)
            .where(Space.kind.in_(("community", "hybrid")), Space.archived_at.is_(None))
            .order_by(Space.name)
            .limit(300)
        )
    ).scalars()
    return {"units": units, "spaces": [s for s in spaces if is_open_for_writing(s)]}


async def _list_context(db: DB, viewer: Viewer, cursor: str | None) -> dict[str, Any]:
    rows, next_cursor = await invitations.invitations_page(db, actor=viewer, cursor=cursor)
    spaces = await invitations.spaces_of(db, [r.id for r in rows])
    return {
        "rows": [(r, invitations.status_of(r), spaces[r.id]) for r in rows],
        "next_cursor": next_cursor,
        **(await _choices(db, viewer)),
    }


@router.get("/admin/invitations", dependencies=[PageChrome])
@router.get("/invitations", dependencies=[PageChrome])
async def invitations_list(
    request: Request,
    viewer: Viewer,
    db: DB,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    space: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Administrators invite anyone here; everyone sees what they sent."""
    ctx = await _list_context(db, viewer, cursor)
    ctx.update(form={"space_ids": [space] if space else []})
    return render(request, "identity/invitations.html", ctx)


def _invited_from(form: dict[str, str], space_ids: list[str]) -> dict[str, Any]:
    return {
        "email": form.get("email", "")[:320],
        "name": form.get("name", "")[:200],
        "kind": form.get("kind", "member"),
        "organization": form.get("organization") or None,
        "relation": form.get("relation") or None,
        "unit_id": form.get("unit_id") or None,
        "space_ids": space_ids,
    }


@router.post("/invitations")
async def invite(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    space_ids = [str(s) for s in (await request.form()).getlist("space_ids") if s][:20]
    fields = _invited_from(form, space_ids)
    back = form.get("back", "")
    try:
        invited = await invitations.check_invitation(db, actor=viewer, **fields)
        await invitations.do_invite(db, settings, actor=viewer, invited=invited)
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _list_context(db, viewer, None)
        ctx.update(form=fields, error=error.detail, errors=_field_errors(error))
        return render(request, "identity/invitations.html", ctx, status_code=error.status)
    shown = urlencode({"invited": fields["email"]})
    if back.startswith("/spaces/") and "//" not in back:
        return RedirectResponse(f"{back}?tab=members&{shown}", status_code=303)
    return RedirectResponse(f"/invitations?{shown}", status_code=303)


@router.post("/invitations/{invitation_id}")
async def change(
    request: Request,
    invitation_id: str,
    form: Form,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
) -> Response:
    invitation = await invitations.access_invitation(db, actor=viewer, invitation_id=invitation_id)
    action = form.get("action")
    if action == "resend":
        await invitations.do_resend(db, settings, actor=viewer, invitation=invitation)
    elif action == "revoke":
        await invitations.do_revoke(db, invitation=invitation, actor=viewer)
    else:
        raise Invalid.field("action", "must be resend or revoke")
    shown = urlencode({"resent" if action == "resend" else "revoked": invitation.email})
    return RedirectResponse(f"/invitations?{shown}", status_code=303)
