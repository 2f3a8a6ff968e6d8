"""Spaces JSON API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.people.deps import MaybeViewer, Viewer
from atoll.people.models import Person
from atoll.spaces import guidelines, policy, service
from atoll.spaces import members as space_members
from atoll.spaces.schemas import (
    NO_NUL,
    AudienceOut,
    JoinOut,
    JoinRequestOut,
    MemberIn,
    MemberOut,
    SpaceCreate,
    SpaceOut,
    SpacePatch,
    UnarchiveIn,
)
from atoll.spaces.service import SpaceView

router = APIRouter(tags=["spaces"], route_class=IdempotentRoute)


def space_out(view: SpaceView) -> SpaceOut:
    s = view.space
    return SpaceOut(
        id=str(s.id),
        name=s.name,
        slug=s.slug,
        description=s.description,
        guidelines=s.guidelines,
        kind=s.kind,
        visibility=s.visibility,
        unit_id=str(s.unit_id) if s.unit_id is not None else None,
        closes_at=s.closes_at,
        archived=not policy.is_open_for_writing(s),
        member_count=view.member_count,
        my_role=view.my_role,
        pending_request=view.pending_request,
        wiki_moderators_only=s.wiki_moderators_only,
        wiki_externals_may_edit=s.wiki_externals_may_edit,
    )


async def _one(db: DB, viewer: MaybeViewer, space_id: str) -> SpaceOut:
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    return space_out((await service.views_of(db, viewer, [access.space]))[0])


@router.get("/spaces", response_model=Page[SpaceOut])
async def list_spaces(
    viewer: MaybeViewer,
    db: DB,
    kind: Annotated[str | None, Query(pattern="^(unit|community|hybrid|public|situation)$")] = None,
    q: Annotated[str, Query(max_length=200, pattern=NO_NUL)] = "",
    mine: bool = False,
    archived: Annotated[bool, Query(description="Include archived spaces.")] = False,
    state: Annotated[
        Literal["live", "archived", "all"] | None,
        Query(description="live (the default), archived (only those) or all."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
) -> Page[SpaceOut]:
    """Spaces the caller may see (signed out: public spaces), by name: live ones, or with
    ``state=archived`` the archived ones (``state=all`` or ``archived=true``: both)."""
    views, next_cursor = await service.spaces_page(
        db,
        viewer=viewer,
        kind=kind,
        q=q,
        mine=mine,
        include_archived=archived or state == "all",
        archived_only=state == "archived",
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[space_out(v) for v in views], next_cursor=next_cursor)


@router.post("/spaces", response_model=SpaceOut, status_code=201)
async def create_space(body: SpaceCreate, viewer: Viewer, db: DB) -> SpaceOut:
    space = await service.do_create_space(db, actor=viewer, **body.model_dump())
    return await _one(db, viewer, str(space.id))


@router.get("/spaces/{space_id}", response_model=SpaceOut)
async def get_space(space_id: str, viewer: MaybeViewer, db: DB) -> SpaceOut:
    return await _one(db, viewer, space_id)


@router.patch("/spaces/{space_id}", response_model=SpaceOut)
async def update_space(space_id: str, body: SpacePatch, viewer: Viewer, db: DB) -> SpaceOut:
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    await service.do_update_space(db, access=access, changes=body.model_dump(exclude_unset=True))
    return await _one(db, viewer, space_id)


@router.post("/spaces/{space_id}/archive", response_model=SpaceOut)
async def archive_space(space_id: str, viewer: Viewer, db: DB) -> SpaceOut:
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    await service.do_archive_space(db, access=access)
    return await _one(db, viewer, space_id)


@router.post("/spaces/{space_id}/unarchive", response_model=SpaceOut)
async def unarchive_space(
    space_id: str, viewer: Viewer, db: DB, body: Annotated[UnarchiveIn | None, Body()] = None
) -> SpaceOut:
    """Bring an archived space back to live (owners and admins). A situation room needs
    ``{"closes_at": …}`` in the future (422 otherwise); 409 when it is not archived."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    closes_at = body.closes_at if body is not None else None
    await service.do_unarchive_space(db, access=access, closes_at=closes_at)
    return await _one(db, viewer, space_id)


@router.post("/spaces/{space_id}/guidelines/dismiss", status_code=204)
async def dismiss_guidelines(space_id: str, viewer: Viewer, db: DB) -> Response:
    """The caller has read the space's guidelines ("Got it"): its page stops showing them."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    await guidelines.do_dismiss_guidelines(db, access=access)
    return Response(status_code=204)


@router.get("/spaces/{space_id}/members", response_model=Page[MemberOut])
async def list_members(
    space_id: str,
    viewer: MaybeViewer,
    db: DB,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
) -> Page[MemberOut]:
    """Members with their roles, by name (only for those who may read the space)."""
    access = await service.access_readable_space(db, viewer=viewer, space_id=space_id)
    rows, next_cursor = await space_members.members_page(
        db, space=access.space, cursor=cursor, limit=limit
    )
    return Page(
        items=[
            MemberOut(
                person_id=str(p.id),
                name=p.name,
                title=p.title,
                kind=p.kind,
                organization=p.organization,
                role=m.role,
                since=m.created_at,
            )
            for p, m in rows
        ],
        next_cursor=next_cursor,
    )


@router.post("/spaces/{space_id}/members", response_model=MemberOut, status_code=201)
async def add_member(space_id: str, body: MemberIn, viewer: Viewer, db: DB) -> MemberOut:
    """Add (invite) someone, or change a member's role (owners only)."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    membership = await space_members.do_add_member(
        db,
        access=access,
        person_id=body.person_id,
        role=body.role,
        confirm_new_organization=body.confirm_new_organization,
    )
    person = await db.get(Person, membership.person_id)
    assert person is not None
    return MemberOut(
        person_id=str(person.id),
        name=person.name,
        title=person.title,
        kind=person.kind,
        organization=person.organization,
        role=membership.role,
        since=membership.created_at,
    )


@router.delete("/spaces/{space_id}/members/{person_id}", status_code=204)
async def remove_member(space_id: str, person_id: str, viewer: Viewer, db: DB) -> Response:
    """Owners and moderators remove people; anyone may remove themselves (leave)."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    await space_members.do_remove_member(db, access=access, person_id=person_id)
    return Response(status_code=204)


@router.post("/spaces/{space_id}/join", response_model=JoinOut)
async def join_space(space_id: str, viewer: Viewer, db: DB) -> JoinOut:
    """Open space: join at once. Private space: ask to join (a pending request)."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    return JoinOut(status=await space_members.do_join(db, actor=viewer, space=access.space))


@router.get("/spaces/{space_id}/requests", response_model=list[JoinRequestOut])
async def list_requests(space_id: str, viewer: Viewer, db: DB) -> list[JoinRequestOut]:
    """Pending requests to join (owners, moderators, admins)."""
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    return [
        JoinRequestOut(
            id=str(r.id),
            person_id=str(p.id),
            name=p.name,
            kind=p.kind,
            created_at=r.created_at,
        )
        for r, p in await space_members.pending_requests(db, access=access)
    ]


@router.post("/spaces/{space_id}/requests/{request_id}/{decision}", status_code=204)
async def decide_request(
    space_id: str,
    request_id: str,
    decision: Literal["approve", "decline"],
    viewer: Viewer,
    db: DB,
) -> Response:
    access = await service.access_space(db, viewer=viewer, space_id=space_id)
    await space_members.do_decide_request(
        db, access=access, request_id=request_id, approve=decision == "approve"
    )
    return Response(status_code=204)


@router.get("/spaces/{space_id}/audience", response_model=AudienceOut)
async def audience(space_id: str, viewer: Viewer, db: DB) -> AudienceOut:
    """Who would see a post here."""
    access = await service.access_readable_space(db, viewer=viewer, space_id=space_id)
    a = await space_members.audience_of(db, space=access.space)
    return AudienceOut(
        members=a.members,
        internal=a.internal,
        external=a.external,
        organizations=a.organizations,
        public=a.public,
    )
