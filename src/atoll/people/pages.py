"""People pages: sign in and out, the directory, editing a profile, and the admin people
page. A profile itself shows its follow button, so conversations serve it
(``atoll.conversations.composed``) with ``profile_context``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, select

from atoll.http.client import client_address
from atoll.http.request import (
    DB,
    AppSettings,
    discard_changes,
)
from atoll.http.signin import SESSION_COOKIE
from atoll.http.templating import render
from atoll.kit.errors import AtollError, Forbidden, Invalid, RateLimited
from atoll.kit.ids import parse_id
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people import auth, otp, policy, service, tokens, totp, units
from atoll.people.browser import sso_providers, start_browser_session
from atoll.people.deps import (
    CurrentCredential,
    Form,
    MaybeViewer,
    OptionalCredential,
    PageChrome,
    Viewer,
    VisiblePeople,
)
from atoll.people.models import Person
from atoll.people.passwords import Hashing

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths, so the sign-in form cannot be used to bounce people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _sign_in_context(settings: Settings, **more: Any) -> dict[str, Any]:
    """The sign-in form's context; ``sso`` lists the single sign-on providers set up, so the
    page offers "Sign in with ..."."""
    return {"sso": sso_providers(settings), **more}


@router.get("/sign-in")
async def sign_in_page(
    request: Request, viewer: MaybeViewer, settings: AppSettings, next: str = "/"
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "people/sign_in.html", _sign_in_context(settings, next=safe_next(next)))


@router.post("/sign-in")
async def sign_in(
    request: Request, form: Form, db: DB, settings: AppSettings, credential: OptionalCredential
) -> Response:
    email, password = form.get("email", "")[:320], form.get("password", "")
    target = safe_next(form.get("next"))
    address = client_address(request)
    try:
        person = await auth.do_sign_in(
            db, settings, email=email, password=password, address=address
        )
    except (RateLimited, Forbidden) as error:  # say so on the form, keep Retry-After
        await discard_changes(db, request)  # a refused attempt counts for nothing
        response = render(
            request,
            "people/sign_in.html",
            _sign_in_context(settings, next=target, email=email, error=error.detail),
            status_code=error.status,
        )
        response.headers.update(error.headers)
        return response
    if person is None:
        return render(
            request,
            "people/sign_in.html",
            _sign_in_context(settings, next=target, email=email, error="Wrong e-mail or password."),
            status_code=401,
        )
    if await totp.is_on(db, person.id):  # the password is right: now the code
        state = otp.pending_state(settings.signing_key, person_id=person.id, now=utcnow())
        return render(request, "people/sign_in_code.html", {"next": target, "pending": state})
    return await start_browser_session(
        request, db, settings, person=person, target=target, replacing=credential
    )


@router.post("/sign-out")
async def sign_out(form: Form, db: DB, credential: OptionalCredential) -> Response:
    if credential is not None:
        await auth.do_revoke(db, auth=credential.auth)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/people", dependencies=[PageChrome])
async def directory(
    request: Request,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    q: Annotated[str, Query(max_length=200)] = "",
    skill: Annotated[str, Query(max_length=100)] = "",
    unit: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    chart = policy.can_see_org_chart(viewer)  # guests get no unit filter and no unit paths
    unit_id = parse_id(unit) if chart else None
    people, next_cursor = await service.people_page(
        db,
        viewer=viewer,
        visible=visible,
        q=q,
        skill=skill,
        unit_id=unit_id,
        cursor=cursor,
        limit=30,
    )
    skills = await service.skills_by_person(db, [p.id for p in people])
    all_units = await units.all_units(db) if chart else []
    return render(
        request,
        "people/directory.html",
        {
            "people": people,
            "skills": skills,
            "next_cursor": next_cursor,
            "q": q,
            "skill": skill,
            "unit_id": unit_id,
            "units": all_units,
            "unit_paths": units.unit_paths(all_units),
        },
    )


async def profile_context(
    db: DB, viewer: Person, visible: ColumnElement[bool], person_id: str
) -> dict[str, Any]:
    """A person's profile as the viewer may see it (``person``, ``skills``, ``unit_path``,
    ``can_edit``), for the profile page and its editor."""
    person = await service.access_person(db, visible=visible, person_id=person_id)
    skills = (await service.skills_by_person(db, [person.id]))[person.id]
    chart = person.unit_id and policy.can_see_place(viewer, person)
    tree = await units.all_units(db) if chart else []
    return {
        "person": person,
        "skills": skills,
        "unit_path": units.unit_paths(tree).get(person.unit_id or -1),
        "can_edit": policy.can_edit_profile(viewer, person),
        **(await _reporting_lines(db, viewer, visible, person)),
    }


REPORTS_SHOWN = 50


async def _reporting_lines(
    db: DB, viewer: Person, visible: ColumnElement[bool], person: Person
) -> dict[str, Any]:
    """Who the person reports to and who reports to them (the first ``REPORTS_SHOWN``), as
    far as the viewer may see the organisation chart and those people."""
    if not policy.can_see_place(viewer, person):
        return {"manager": None, "reports": []}
    manager = None
    if person.manager_id is not None:
        manager = await db.scalar(select(Person).where(Person.id == person.manager_id, visible))
    reports = await db.scalars(
        select(Person)
        .where(Person.manager_id == person.id, Person.is_active.is_(True), visible)
        .order_by(Person.name, Person.id)
        .limit(REPORTS_SHOWN)
    )
    return {"manager": manager, "reports": list(reports.all())}


@router.get("/people/{person_id}/edit", dependencies=[PageChrome])
async def edit_profile_page(
    request: Request, person_id: str, viewer: Viewer, visible: VisiblePeople, db: DB
) -> Response:
    ctx = await profile_context(db, viewer, visible, person_id)
    if not ctx["can_edit"]:
        raise Forbidden("You can only edit your own profile.")
    return render(request, "people/edit.html", ctx)


@router.post("/people/{person_id}/edit")
async def edit_profile(
    request: Request,
    person_id: str,
    form: Form,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    settings: AppSettings,
) -> Response:
    person = await service.access_person(db, visible=visible, person_id=person_id)
    changes: dict[str, object] = {
        "name": form.get("name", "")[:200],
        "title": form.get("title", "")[:200],
        "bio": form.get("bio", "")[:5000],
        "skills": [s for s in form.get("skills", "").split(",") if s.strip()][:50],
    }
    if person.kind == "member":
        changes["coach_opt_in"] = form.get("coach_opt_in") == "yes"
    if person.kind == "external":
        changes["organization"] = form.get("organization", "")[:200]
    try:
        await service.do_update_person(
            db, actor=viewer, person=person, changes=changes, hashing=Hashing.of(settings)
        )
    except Invalid as error:
        await discard_changes(db, request)
        ctx = await profile_context(db, viewer, visible, person_id)
        ctx.update(error=error.detail, form=form)
        return render(request, "people/edit.html", ctx, status_code=422)
    return RedirectResponse(f"/people/{person.id}?saved=1", status_code=303)


def _require_admin(viewer: Viewer) -> None:
    if not policy.can_administer_people(viewer):
        raise Forbidden("This page is for administrators.")


async def _admin_context(
    db: DB, viewer: Viewer, visible: ColumnElement[bool], q: str, cursor: str | None
) -> dict[str, object]:
    people, next_cursor = await service.people_page(
        db, viewer=viewer, visible=visible, q=q, cursor=cursor, limit=50
    )
    all_units = await units.all_units(db)
    return {
        "people": people,
        "next_cursor": next_cursor,
        "q": q,
        "units": all_units,
        "unit_paths": units.unit_paths(all_units),
        "now": utcnow(),  # who is suspended still
    }


@router.get("/admin/people", dependencies=[PageChrome])
async def admin_people(
    request: Request,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    _require_admin(viewer)
    ctx = await _admin_context(db, viewer, visible, q, cursor)
    return render(request, "people/admin.html", ctx)


@router.post("/admin/people")
async def admin_add_person(
    request: Request,
    form: Form,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    settings: AppSettings,
) -> Response:
    _require_admin(viewer)
    kind = form.get("kind", "member")
    try:
        person = await service.do_create_person(
            db,
            actor=viewer,
            hashing=Hashing.of(settings),
            name=form.get("name", "")[:200],
            email=form.get("email", "")[:320],
            password=form.get("password") or None,
            kind=kind,
            role=form.get("role") or None,
            unit_id=form.get("unit_id") or None,
            organization=(form.get("organization") or None) if kind == "external" else None,
            relation=(form.get("relation") or None) if kind == "external" else None,
            title=form.get("title", "")[:200],
        )
    except (Invalid, AtollError) as error:
        await discard_changes(db, request)
        ctx = await _admin_context(db, viewer, visible, "", None)
        ctx.update(error=error.detail, form=form)
        return render(request, "people/admin.html", ctx, status_code=error.status)
    # Show the new person's row straight away, however long the list is.
    shown = urlencode({"added": person.id, "q": person.email})
    return RedirectResponse(f"/admin/people?{shown}", status_code=303)


@router.post("/admin/people/{person_id}")
async def admin_change_person(
    request: Request,
    person_id: str,
    form: Form,
    viewer: Viewer,
    visible: VisiblePeople,
    db: DB,
    settings: AppSettings,
) -> Response:
    _require_admin(viewer)
    person = await service.access_person(db, visible=visible, person_id=person_id)
    name, action = person.name, form.get("action")
    changes: dict[str, object]
    if action == "role":
        changes = {"role": form.get("role")}
    elif action == "password":
        changes = {"password": form.get("password", "")}
    elif action in ("deactivate", "activate"):
        changes = {"is_active": action == "activate"}
    elif action == "analyst":
        changes = {"is_analyst": form.get("analyst") == "yes"}
    elif action == "kind":
        changes = _kind_changes(form)
    elif action == "unit":
        changes = {"unit_id": form.get("unit_id") or ""}
    else:
        raise Invalid.field(
            "action", "must be role, analyst, kind, unit, password, deactivate or activate"
        )
    try:
        await service.do_update_person(
            db, actor=viewer, person=person, changes=changes, hashing=Hashing.of(settings)
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _admin_context(db, viewer, visible, "", None)
        ctx.update(error=f"{name}: {error.detail}")
        return render(request, "people/admin.html", ctx, status_code=error.status)
    # Show the changed person's row, however long the list is.
    shown = urlencode({"changed": person.id, "q": person.email})
    return RedirectResponse(f"/admin/people?{shown}", status_code=303)


def _kind_changes(form: dict[str, str]) -> dict[str, object]:
    """Member → external (with organisation and relation) or external → member (with a unit,
    the top of the organisation when none is chosen)."""
    if form.get("kind") == "external":
        return {
            "kind": "external",
            "organization": form.get("organization", "").strip()[:200] or None,
            "relation": form.get("relation") or None,
        }
    if form.get("kind") == "member":
        return {"kind": "member", "organization": None, "unit_id": form.get("unit_id") or None}
    raise Invalid.field("kind", "must be member or external")


async def sessions_context(db: DB, credential: auth.Credential, **more: Any) -> dict[str, Any]:
    """What the sessions page shows: the live sessions and tokens, and the scopes of each."""
    rows = await auth.live_sessions(db, person=credential.person)
    scopes = {row.id: tokens.scopes_of(row) for row in rows}
    return {"sessions": rows, "scopes": scopes, "current_id": credential.auth.id, **more}


@router.get("/account/sessions", dependencies=[PageChrome])
async def sessions_page(request: Request, credential: CurrentCredential, db: DB) -> Response:
    ctx = await sessions_context(db, credential)
    return render(request, "people/sessions.html", ctx)


@router.post("/account/sessions/{auth_id}/revoke")
async def revoke_session(
    auth_id: str, form: Form, credential: CurrentCredential, db: DB
) -> Response:
    await auth.do_revoke_own(db, person=credential.person, auth_id=auth_id)
    if str(credential.auth.id) == auth_id:
        response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response
    return RedirectResponse("/account/sessions?revoked=1", status_code=303)


@router.post("/account/sessions/revoke-others")
async def revoke_other_sessions(form: Form, credential: CurrentCredential, db: DB) -> Response:
    await auth.do_revoke_others(db, person=credential.person, keep=credential.auth)
    return RedirectResponse("/account/sessions?revoked=all", status_code=303)


@router.get("/account/password", dependencies=[PageChrome])
async def password_page(
    request: Request, credential: CurrentCredential, settings: AppSettings
) -> Response:
    if settings.sso_only and credential.person.kind == "member":
        raise Forbidden(auth.sso_only_message(settings))
    return render(request, "people/password.html", {})


@router.post("/account/password")
async def change_password(
    request: Request,
    form: Form,
    credential: CurrentCredential,
    db: DB,
    settings: AppSettings,
) -> Response:
    try:
        signed_out = await auth.do_change_password(
            db,
            settings,
            credential=credential,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            address=client_address(request),
        )
    except Invalid as error:
        await discard_changes(db, request)
        said = {str(e.get("field")): str(e.get("message")) for e in error.errors}
        return render(request, "people/password.html", {"errors": said}, status_code=422)
    return RedirectResponse(f"/account/sessions?password=changed&others={signed_out}", 303)
