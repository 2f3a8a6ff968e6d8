"""Space pages: the directory, starting a space, a space's tabs, membership actions. A
space's page shows its posts and the question before leaving asks about following it, so
conversations serve those two (``atoll.conversations.composed``) with ``space_page_context``
and ``space_context``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.request import DB, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import AtollError, Invalid
from atoll.kit.time import utcnow
from atoll.people.deps import Form, MaybeViewer, PageChrome, Viewer
from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.people.units import all_units
from atoll.spaces import guidelines, policy, service
from atoll.spaces import members as space_members
from atoll.spaces.models import KINDS
from atoll.spaces.policy import SpaceAccess

router = APIRouter(include_in_schema=False)

KIND_WORDS = {
    "unit": "Team space",
    "community": "Community",
    "hybrid": "Hybrid space",
    "public": "Public space",
    "situation": "Situation room",
    "practice": "Practice space",
}
VISIBILITY_WORDS = {
    "open": "Open — anyone in the organisation can read and join",
    "private": "Private — only members can see the posts; others ask to join",
    "secret": "Secret — invisible to everyone but its members",
}
TABS = ("posts", "questions", "ideas", "members", "about")
PRACTICE_WORDS = "Only you — nothing here notifies anyone or counts anywhere"


def space_context(access: SpaceAccess) -> dict[str, Any]:
    space = access.space
    return {
        "space": space,
        "role": access.role,
        "kind_word": KIND_WORDS[space.kind],
        "visibility_word": PRACTICE_WORDS
        if space.kind == "practice"
        else VISIBILITY_WORDS[space.visibility],
        "guidelines_html": guidelines.guidelines_html(space),
        "can_read": access.can_read,
        "can_manage": access.can_manage,
        "can_own": access.can_own,
        "can_post": access.can_post,
        "writable": access.writable,
        "default_close": (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "can_see_insights": policy.can_see_insights(access),
    }


@router.get("/spaces", dependencies=[PageChrome])
async def directory(
    request: Request,
    viewer: MaybeViewer,
    db: DB,
    kind: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    mine: bool = False,
    state: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    views, next_cursor = await service.spaces_page(
        db,
        viewer=viewer,
        kind=kind if kind in KINDS else None,
        q=q,
        mine=mine,
        archived_only=state == "archived",
        cursor=cursor,
        limit=30,
    )
    return render(
        request,
        "spaces/directory.html",
        {
            "views": views,
            "next_cursor": next_cursor,
            "kind": kind,
            "q": q,
            "mine": mine,
            "state": "archived" if state == "archived" else "",
            "kind_words": KIND_WORDS,
        },
    )


async def _new_context(
    db: DB, viewer: Viewer, form: dict[str, str] | None = None
) -> dict[str, Any]:
    units = await all_units(db) if is_admin(viewer) else []
    default_close = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return {
        "units": units,
        "form": form or {},
        "kind_words": KIND_WORDS,
        "visibility_words": VISIBILITY_WORDS,
        "default_close": default_close,
    }


@router.get("/spaces/new", dependencies=[PageChrome])
async def new_space_page(request: Request, viewer: Viewer, db: DB) -> Response:
    ctx = await _new_context(db, viewer, dict(request.query_params))
    return render(request, "spaces/new.html", ctx)


def _parse_local_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field("closes_at", "must be a date and time like 2026-12-01T17:00") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@router.post("/spaces/new")
async def create_space(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    raw_members = (await request.form()).getlist("member_ids")
    try:
        space = await service.do_create_space(
            db,
            actor=viewer,
            name=form.get("name", "")[:300],
            kind=form.get("kind", "community"),
            visibility=form.get("visibility", "open"),
            description=form.get("description", ""),
            unit_id=form.get("unit_id") or None,
            # the form always carries a closing time; only situation rooms use it
            closes_at=(_parse_local_time(form.get("closes_at", "")) or utcnow() + timedelta(days=1))
            if form.get("kind") == "situation"
            else None,
            member_ids=[str(m) for m in raw_members][:60],
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _new_context(db, viewer, form)
        ctx["error"] = error.detail
        return render(request, "spaces/new.html", ctx, status_code=error.status)
    return RedirectResponse(f"/spaces/{space.slug}", status_code=303)


async def space_page_context(
    db: DB, *, viewer: Person | None, slug: str, tab: str, cursor: str | None
) -> tuple[SpaceAccess, dict[str, Any]]:
    """A space's page as the viewer may see it, all but its posts and the follow button: the
    space and the viewer's role and permissions, the tab, the audience, and on the members tab
    the members (and for managers the pending requests)."""
    access = await service.access_space_by_slug(db, viewer=viewer, slug=slug)
    space = access.space
    tab = tab if tab in TABS else "posts"
    ctx = space_context(access)
    ctx["tab"] = tab
    ctx["view"] = (await service.views_of(db, viewer, [space]))[0]
    audience = await space_members.audience_of(db, space=space) if ctx["can_read"] else None
    ctx["audience"] = audience
    ctx["guidelines_due"] = await guidelines.guidelines_due(db, space=space, person=viewer)
    if ctx["can_read"] and tab == "members":
        members, next_cursor = await space_members.members_page(
            db, space=space, cursor=cursor, limit=100
        )
        ctx["internal_members"] = [(p, m) for p, m in members if p.kind == "member"]
        by_org: dict[str, list[Any]] = {}
        for p, m in members:
            if p.kind == "external":
                by_org.setdefault(p.organization or "External", []).append((p, m))
        ctx["external_members"] = sorted(by_org.items())
        ctx["members_cursor"] = next_cursor
        if ctx["can_manage"]:
            ctx["requests"] = await space_members.pending_requests(db, access=access)
    return access, ctx


async def _access(db: DB, viewer: Viewer, slug: str) -> SpaceAccess:
    return await service.access_space_by_slug(db, viewer=viewer, slug=slug)


@router.post("/spaces/{slug}/join")
async def join(slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    space = (await _access(db, viewer, slug)).space
    outcome = await space_members.do_join(db, actor=viewer, space=space)
    return RedirectResponse(f"/spaces/{space.slug}?{outcome}=1", status_code=303)


# Leaving, removing someone and archiving ask first: their buttons open these pages (without
# JavaScript) or ask the same question in a dialog (atoll.js). Whoever may not do the thing
# gets the action's own answer. (The question before leaving is conversations': it asks
# about following the space too.)


@router.get("/spaces/{slug}/members/{person_id}/remove", dependencies=[PageChrome])
async def confirm_remove_member(
    request: Request, slug: str, person_id: str, viewer: Viewer, db: DB
) -> Response:
    access = await _access(db, viewer, slug)
    membership = await space_members.access_membership(db, access=access, person_id=person_id)
    person = await db.get(Person, membership.person_id)
    ctx = {"what": "remove", "membership": membership, "person": person}
    return render(request, "spaces/confirm.html", space_context(access) | ctx)


@router.get("/spaces/{slug}/archive", dependencies=[PageChrome])
async def confirm_archive(request: Request, slug: str, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    service.check_can_archive(access)
    if access.space.archived_at is not None:  # nothing to ask: the space says it is archived
        return RedirectResponse(f"/spaces/{access.space.slug}?tab=about", status_code=303)
    return render(request, "spaces/confirm.html", space_context(access) | {"what": "archive"})


@router.post("/spaces/{slug}/leave")
async def leave(request: Request, slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    await space_members.do_remove_member(db, access=access, person_id=viewer.id)
    return RedirectResponse(f"/spaces/{access.space.slug}?left=1", status_code=303)


@router.post("/spaces/{slug}/members")
async def add_member(request: Request, slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    space = access.space
    space_members.check_can_add(access)  # before looking anyone up: 403, not "nobody called"
    person = await space_members.find_person(db, viewer=viewer, text=form.get("person", ""))
    try:
        await space_members.do_add_member(
            db,
            access=access,
            person_id=person.id,
            role=form.get("role", "member"),
            confirm_new_organization=form.get("confirm_new_organization") == "yes",
        )
    except space_members.NewOrganization as question:
        # Nothing changed yet: ask first, in a second form that says what follows.
        await discard_changes(db, request)
        await db.refresh(space)
        ctx = space_context(access)
        ctx.update(question=question, role_asked=form.get("role", "member"))
        return render(request, "spaces/confirm_organization.html", ctx)
    return RedirectResponse(f"/spaces/{space.slug}?tab=members&saved=1", status_code=303)


@router.post("/spaces/{slug}/members/{person_id}/remove")
async def remove_member(slug: str, person_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    await space_members.do_remove_member(db, access=access, person_id=person_id)
    return RedirectResponse(f"/spaces/{access.space.slug}?tab=members&removed=1", status_code=303)


@router.post("/spaces/{slug}/requests/{request_id}")
async def decide(slug: str, request_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    await space_members.do_decide_request(
        db, access=access, request_id=request_id, approve=form.get("decision") == "approve"
    )
    return RedirectResponse(f"/spaces/{access.space.slug}?tab=members&decided=1", status_code=303)


@router.post("/spaces/{slug}/about")
async def update_about(request: Request, slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    space = access.space
    changes: dict[str, object] = {
        "name": form.get("name", "")[:300],
        "description": form.get("description", ""),
    }
    if "guidelines" in form:
        changes["guidelines"] = form["guidelines"]
    if form.get("visibility") and access.can_own and space.kind != "public":
        changes["visibility"] = form["visibility"]
    if space.kind in ("hybrid", "community", "unit", "situation", "public"):
        changes["wiki_moderators_only"] = form.get("wiki_moderators_only") == "on"
        changes["wiki_externals_may_edit"] = form.get("wiki_externals_may_edit") == "on"
    await service.do_update_space(db, access=access, changes=changes)
    return RedirectResponse(f"/spaces/{space.slug}?tab=about&saved=1", status_code=303)


@router.post("/spaces/{slug}/guidelines/dismiss")
async def dismiss_guidelines(slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    """ "Got it": the space's page stops showing its guidelines to this member."""
    access = await _access(db, viewer, slug)
    await guidelines.do_dismiss_guidelines(db, access=access)
    return RedirectResponse(f"/spaces/{access.space.slug}", status_code=303)


@router.post("/spaces/{slug}/archive")
async def archive(slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    access = await _access(db, viewer, slug)
    await service.do_archive_space(db, access=access)
    return RedirectResponse(f"/spaces/{access.space.slug}?tab=about&archived=1", status_code=303)


@router.post("/spaces/{slug}/unarchive")
async def unarchive(slug: str, form: Form, viewer: Viewer, db: DB) -> Response:
    """Bring an archived space back (a situation room with its new closing time)."""
    access = await _access(db, viewer, slug)
    closes_at = _parse_local_time(form.get("closes_at", "")) if form.get("closes_at") else None
    await service.do_unarchive_space(db, access=access, closes_at=closes_at)
    return RedirectResponse(f"/spaces/{access.space.slug}?tab=about&unarchived=1", status_code=303)


@router.get("/spaces/{slug}/suggest")
async def suggest(
    request: Request,
    slug: str,
    viewer: Viewer,
    db: DB,
    q: Annotated[str, Query(max_length=100)] = "",
    person: Annotated[str, Query(max_length=100)] = "",
    for_: Annotated[str, Query(alias="for", max_length=10)] = "mention",
) -> Response:
    """Type-ahead options: people to add (visible to the viewer and allowed in the space) or
    to mention (only people who can read the space)."""
    access = await service.access_space_by_slug(db, viewer=viewer, slug=slug)
    if not access.can_read:
        return render(request, "spaces/_suggest.html", {"people": [], "purpose": for_})
    people = await space_members.suggest_people(
        db, viewer=viewer, space=access.space, text=q or person, purpose=for_
    )
    return render(request, "spaces/_suggest.html", {"people": people, "purpose": for_})
