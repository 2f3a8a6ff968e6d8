"""Pages of the domains below that show conversations, composed here so that those domains
never import upward: a space's page (its Posts, Questions and Ideas tabs, and the follow
button), the question before leaving a space (whether to keep following it), and a person's
profile (its follow button). The spaces and people pages provide the rest of each page
(``space_page_context``, ``space_context``, ``profile_context``); the URLs and the HTML are
theirs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from atoll.conversations import drafts, feed, follows
from atoll.conversations.feed import REACTIONS
from atoll.conversations.pages import PAGE_SIZE, composer_context
from atoll.http.request import DB, AppSettings
from atoll.http.templating import render
from atoll.people import pages as people_pages
from atoll.people.deps import MaybeViewer, PageChrome, Viewer
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import pages as space_pages
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces
from atoll.spaces.policy import SpaceAccess

router = APIRouter(include_in_schema=False)
TAB_FILTERS = {"posts": "all", "questions": "questions", "ideas": "ideas"}


async def space_posts_context(
    db: DB,
    *,
    viewer: Person | None,
    access: SpaceAccess,
    tab: str,
    cursor: str | None,
    audience: space_members.Audience | None = None,
) -> dict[str, Any]:
    """The posts tabs of a space page (Posts, Questions, Ideas)."""
    space = access.space
    filter = TAB_FILTERS.get(tab, "all")
    views, next_cursor = await feed.space_posts(
        db, viewer=viewer, space=space, filter=filter, cursor=cursor, limit=PAGE_SIZE
    )
    ctx: dict[str, Any] = {
        "views": views,
        "next_cursor": next_cursor,
        "show_space": False,
        "more_url": f"/spaces/{space.slug}?tab={tab}&cursor=",
        "reactions": REACTIONS,
    }
    if viewer is not None and access.can_post:
        ctx.update(await composer_context(db, viewer=viewer, access=access, audience=audience))
        ctx["default_kind"] = {"questions": "question", "ideas": "idea"}.get(tab, "update")
    return ctx


@router.get("/spaces/{slug}", dependencies=[PageChrome])
async def space_page(
    request: Request,
    slug: str,
    viewer: MaybeViewer,
    db: DB,
    settings: AppSettings,
    tab: Annotated[str, Query(max_length=20)] = "posts",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    posted: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    access, ctx = await space_pages.space_page_context(
        db, viewer=viewer, slug=slug, tab=tab, cursor=cursor
    )
    ctx["following"] = viewer is not None and await follows.is_following(
        db, viewer=viewer, target_type="space", target_id=access.space.id
    )
    if ctx["can_read"] and ctx["tab"] in TAB_FILTERS:
        ctx.update(
            await space_posts_context(
                db,
                viewer=viewer,
                access=access,
                tab=ctx["tab"],
                cursor=cursor,
                audience=ctx["audience"],
            )
        )
        if cursor and request.headers.get("hx-request") == "true":
            return render(request, "conversations/_page.html", ctx)
        if viewer is not None and "compose_space" in ctx:  # "Posted · Undo" after posting
            ctx["undo"] = await drafts.undo_offer(
                db, viewer=viewer, post_id=posted, undo_seconds=settings.undo_seconds
            )
    return render(request, "spaces/space.html", ctx)


@router.get("/spaces/{slug}/leave", dependencies=[PageChrome])
async def confirm_leave(request: Request, slug: str, viewer: Viewer, db: DB) -> Response:
    access = await spaces.access_space_by_slug(db, viewer=viewer, slug=slug)
    membership = await space_members.access_membership(db, access=access, person_id=viewer.id)
    following = await follows.is_following(
        db, viewer=viewer, target_type="space", target_id=access.space.id
    )
    ctx = {"what": "leave", "membership": membership, "following": following}
    return render(request, "spaces/confirm.html", space_pages.space_context(access) | ctx)


@router.get("/people/{person_id}", dependencies=[PageChrome])
async def profile(request: Request, person_id: str, viewer: Viewer, db: DB) -> Response:
    visible = space_policy.visible_people(viewer)
    ctx = await people_pages.profile_context(db, viewer, visible, person_id)
    ctx["following"] = await follows.is_following(
        db, viewer=viewer, target_type="person", target_id=ctx["person"].id
    )
    return render(request, "people/profile.html", ctx)
