"""Discovery JSON API: communities for you, people who know about a topic, what is active."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atoll.discover import service
from atoll.discover.experts import MAX_TOPIC
from atoll.discover.schemas import (
    Active,
    ActiveOut,
    Communities,
    CommunityOut,
    ExpertOut,
    Experts,
)
from atoll.discover.service import ActivePost, Expert, Suggestion
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.people.deps import Viewer
from atoll.spaces.schemas import NO_NUL

router = APIRouter(prefix="/discover", tags=["discover"], route_class=IdempotentRoute)
Limit = Annotated[int, Query(ge=1, le=20)]


def community_out(s: Suggestion) -> CommunityOut:
    space = s.space
    return CommunityOut(
        id=str(space.id),
        name=space.name,
        slug=space.slug,
        description=space.description,
        kind=space.kind,
        visibility=space.visibility,
        member_count=s.view.member_count,
        my_role=s.view.my_role,
        pending_request=s.view.pending_request,
        reason=s.reason,
        reasons=s.reasons,
    )


def expert_out(e: Expert) -> ExpertOut:
    return ExpertOut(
        id=str(e.person.id),
        name=e.person.name,
        title=e.person.title,
        kind=e.person.kind,
        unit=e.unit_name,
        skill=e.skill,
        accepted_answers=e.accepted,
        posts=e.posts,
        reason=e.reason,
        reasons=e.reasons,
    )


def active_out(a: ActivePost) -> ActiveOut:
    return ActiveOut(
        id=str(a.post.id),
        space_id=str(a.space.id),
        space_name=a.space.name,
        author_id=str(a.post.author_id),
        author_name=a.author_name,
        kind=a.post.kind,
        snippet=a.snippet,
        created_at=a.post.created_at,
        comments=a.comments,
        reactions=a.reactions,
        reason=a.reason,
        reasons=a.reasons,
    )


@router.get("/communities", response_model=Communities)
async def communities(viewer: Viewer, db: DB, limit: Limit = 6) -> Communities:
    """Spaces the caller may join or read and does not belong to, best first, with why."""
    found = await service.communities_for(db, viewer=viewer, limit=limit)
    return Communities(items=[community_out(s) for s in found])


@router.get("/experts", response_model=Experts)
async def experts(
    viewer: Viewer,
    db: DB,
    topic: Annotated[str, Query(max_length=MAX_TOPIC, pattern=NO_NUL)] = "",
    limit: Limit = 8,
) -> Experts:
    """People the caller may see who know about ``topic``: skills, accepted answers and what
    they wrote where the caller may read it. 422 when the topic is missing or blank."""
    topic = service.check_topic(topic)
    found = await service.experts_on(db, viewer=viewer, topic=topic, limit=limit)
    return Experts(topic=topic, items=[expert_out(e) for e in found])


@router.get("/active", response_model=Active)
async def active(viewer: Viewer, db: DB, limit: Limit = 8) -> Active:
    """The posts the caller may read with the most comments and reactions this week."""
    found = await service.active_for(db, viewer=viewer, limit=limit)
    return Active(items=[active_out(a) for a in found])
