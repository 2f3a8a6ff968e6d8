"""The governance of conversations in the JSON API: pin and unpin (in a space, or above the
organisation's feeds), close and reopen a thread, restore deleted posts and comments, the
"Recently deleted" lists and hiding an announcement. Thin: load with an ``access_*``, change
with a ``do_*`` of ``moderation`` or ``restore``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response

from atoll.conversations import feed, moderation, restore
from atoll.conversations.api import _answer, author_out, comment_out, post_out
from atoll.conversations.restore import Deleted
from atoll.conversations.schemas import CommentOut, DeletedOut, PinIn, PostOut, SpaceRef
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.kit.errors import Invalid
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.people.deps import Viewer
from atoll.people.models import Person
from atoll.spaces import service as spaces_service

router = APIRouter(tags=["governance"], route_class=IdempotentRoute)

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Scope = Annotated[Literal["space", "organisation"], Query()]


@router.post("/posts/{post_id}/pin", response_model=PostOut)
async def pin(
    post_id: str, viewer: Viewer, db: DB, body: Annotated[PinIn | None, Body()] = None
) -> PostOut:
    """Pin the post at the top of its space's posts (the space's owners and moderators,
    platform moderators, admins; 409 past 5 pinned posts). ``{"scope": "organisation",
    "until"?}``: administrators show it above the feed of everyone who can read it until
    ``until`` (default 7 days; 422 when not in the future or more than a year ahead)."""
    body = body or PinIn()
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    if body.scope == "organisation":
        await moderation.do_announce(db, access=access, post=post, until=body.until)
    else:
        if body.until is not None:
            raise Invalid.field("until", "only an organisation-wide pin has an end date")
        await moderation.do_pin_post(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.delete("/posts/{post_id}/pin", response_model=PostOut)
async def unpin(post_id: str, viewer: Viewer, db: DB, scope: Scope = "space") -> PostOut:
    """Unpin the post in its space, or (``?scope=organisation``, admins) end its announcement."""
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    if scope == "organisation":
        await moderation.do_withdraw_announcement(db, access=access, post=post)
    else:
        await moderation.do_unpin_post(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.post("/posts/{post_id}/close", response_model=PostOut)
async def close(post_id: str, viewer: Viewer, db: DB) -> PostOut:
    """No new comments or replies (reactions stay open). The space's owners and moderators,
    platform moderators, admins."""
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    await moderation.do_close_post(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.delete("/posts/{post_id}/close", response_model=PostOut)
async def reopen(post_id: str, viewer: Viewer, db: DB) -> PostOut:
    """Open a closed thread to comments again."""
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    await moderation.do_reopen_post(db, access=access, post=post)
    return await _answer(db, viewer, post.id)


@router.post("/posts/{post_id}/dismiss", status_code=204)
async def dismiss(post_id: str, viewer: Viewer, db: DB) -> Response:
    """Hide an organisation-wide announcement from the caller's feed."""
    post, _ = await feed.access_post(db, viewer=viewer, post_id=post_id)
    await moderation.do_dismiss_announcement(db, viewer=viewer, post=post)
    return Response(status_code=204)


@router.get("/announcements", response_model=list[PostOut])
async def announcements(viewer: Viewer, db: DB) -> list[PostOut]:
    """The organisation's current announcements the caller can read and has not hidden."""
    return [post_out(v) for v in await moderation.announcements_for(db, viewer=viewer)]


# --- restore ----------------------------------------------------------------------------------


@router.post("/posts/{post_id}/restore", response_model=PostOut)
async def restore_post(post_id: str, viewer: Viewer, db: DB, settings: AppSettings) -> PostOut:
    """Bring a deleted post back with its comments: its author or the space's moderators,
    within ``ATOLL_RESTORE_DAYS`` (30) of the deletion. 409 when it is not deleted, 410 when
    it was deleted too long ago, 404 when the caller cannot read it."""
    post, access = await restore.access_any_post(db, viewer=viewer, post_id=post_id)
    await restore.do_restore_post(db, access=access, post=post, restore_days=settings.restore_days)
    return await _answer(db, viewer, post.id)


@router.post("/comments/{comment_id}/restore", response_model=CommentOut)
async def restore_comment(
    comment_id: str, viewer: Viewer, db: DB, settings: AppSettings
) -> CommentOut:
    """Bring a deleted comment back with its replies (as for posts; 409 while its post or the
    comment it replies to is deleted)."""
    comment, post, access = await restore.access_any_comment(
        db, viewer=viewer, comment_id=comment_id
    )
    await restore.do_restore_comment(
        db, access=access, comment=comment, post=post, restore_days=settings.restore_days
    )
    comment, post, access = await feed.access_comment(db, viewer=viewer, comment_id=comment.id)
    author = await db.get(Person, comment.author_id)
    assert author is not None
    return comment_out(feed.comment_view(comment, author, post=post, access=access))


def deleted_out(d: Deleted) -> DeletedOut:
    s = d.space
    path = f"/api/v1/{'posts' if d.type == 'post' else 'comments'}/{d.id}/restore"
    return DeletedOut(
        type="post" if d.type == "post" else "comment",
        id=str(d.id),
        post_id=str(d.post_id),
        space=SpaceRef(id=str(s.id), name=s.name, slug=s.slug, kind=s.kind),
        author=author_out(d.author),
        body=d.body,
        deleted_at=d.deleted_at,
        deleted_by_id=str(d.deleted_by_id) if d.deleted_by_id is not None else None,
        restorable_until=d.restorable_until,
        restore_url=path,
    )


@router.get("/me/deleted", response_model=Page[DeletedOut])
async def my_deleted(
    viewer: Viewer, db: DB, settings: AppSettings, cursor: Cursor = None, limit: Limit = 25
) -> Page[DeletedOut]:
    """The caller's own posts and comments deleted in the last ``ATOLL_RESTORE_DAYS``,
    newest deletion first."""
    items, next_cursor = await restore.recently_deleted(
        db, viewer=viewer, restore_days=settings.restore_days, cursor=cursor, limit=limit
    )
    return Page(items=[deleted_out(d) for d in items], next_cursor=next_cursor)


@router.get("/spaces/{space_id}/deleted", response_model=Page[DeletedOut])
async def space_deleted(
    space_id: str,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[DeletedOut]:
    """Posts and comments deleted in the space in the last ``ATOLL_RESTORE_DAYS``: its owners
    and moderators, platform moderators, admins."""
    access = await spaces_service.access_readable_space(db, viewer=viewer, space_id=space_id)
    restore.check_may_list(access)
    items, next_cursor = await restore.recently_deleted(
        db,
        viewer=viewer,
        space=access.space,
        restore_days=settings.restore_days,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[deleted_out(d) for d in items], next_cursor=next_cursor)
