"""The governance of conversations on the pages: pin and unpin, announce to the organisation,
close and reopen a thread, hide an announcement, restore ("Undo") a deleted post or comment,
and the "Recently deleted" pages (one's own, a space's). Each action is a plain form that
goes back to where it came from; the service functions are the API's."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from atoll.conversations import feed, moderation, restore
from atoll.conversations.pages import _back
from atoll.http.request import DB, AppSettings
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.people.deps import Form, PageChrome, Viewer
from atoll.spaces import service as spaces

router = APIRouter(include_in_schema=False)


def _until(value: str) -> datetime | None:
    """The end date of an announcement from a form's date field (end of that day, UTC)."""
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field("until", "must be a date like 2026-12-31") from exc
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    if len(value) <= 10:  # a date alone: until the end of that day
        day = day.replace(hour=23, minute=59, second=59)
    return day


@router.post("/posts/{post_id}/pin")
async def pin(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    action = form.get("action", "pin")
    if action == "unpin":
        await moderation.do_unpin_post(db, access=access, post=post)
    elif action == "announce":
        until = _until(form.get("until", ""))
        await moderation.do_announce(db, access=access, post=post, until=until)
    elif action == "unannounce":
        await moderation.do_withdraw_announcement(db, access=access, post=post)
    else:
        await moderation.do_pin_post(db, access=access, post=post)
    return RedirectResponse(_back(request, f"/posts/{post.id}"), status_code=303)


@router.post("/posts/{post_id}/close")
async def close(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    post, access = await feed.access_post(db, viewer=viewer, post_id=post_id)
    if form.get("action") == "reopen":
        await moderation.do_reopen_post(db, access=access, post=post)
    else:
        await moderation.do_close_post(db, access=access, post=post)
    return RedirectResponse(f"/posts/{post.id}", status_code=303)


@router.post("/posts/{post_id}/dismiss")
async def dismiss(request: Request, post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    post, _ = await feed.access_post(db, viewer=viewer, post_id=post_id)
    await moderation.do_dismiss_announcement(db, viewer=viewer, post=post)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=200)  # the announcement's box is swapped for nothing
    return RedirectResponse("/", status_code=303)


@router.post("/posts/{post_id}/restore")
async def restore_post(
    request: Request, post_id: str, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    post, access = await restore.access_any_post(db, viewer=viewer, post_id=post_id)
    await restore.do_restore_post(db, access=access, post=post, restore_days=settings.restore_days)
    return RedirectResponse(f"/posts/{post.id}?restored=1", status_code=303)


@router.post("/comments/{comment_id}/restore")
async def restore_comment(
    request: Request, comment_id: str, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    comment, post, access = await restore.access_any_comment(
        db, viewer=viewer, comment_id=comment_id
    )
    await restore.do_restore_comment(
        db, access=access, comment=comment, post=post, restore_days=settings.restore_days
    )
    return RedirectResponse(f"/posts/{post.id}#comment-{comment.id}", status_code=303)


@router.get("/me/deleted", dependencies=[PageChrome])
async def my_deleted(request: Request, viewer: Viewer, db: DB, settings: AppSettings) -> Response:
    items, _ = await restore.recently_deleted(
        db, viewer=viewer, restore_days=settings.restore_days, limit=100
    )
    ctx = {"items": items, "space": None, "days": settings.restore_days}
    return render(request, "conversations/deleted.html", ctx)


@router.get("/spaces/{slug}/deleted", dependencies=[PageChrome])
async def space_deleted(
    request: Request, slug: str, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    access = await spaces.access_space_by_slug(db, viewer=viewer, slug=slug)
    access = await spaces.access_readable_space(db, viewer=viewer, space_id=access.space.id)
    restore.check_may_list(access)
    items, _ = await restore.recently_deleted(
        db, viewer=viewer, space=access.space, restore_days=settings.restore_days, limit=100
    )
    ctx = {"items": items, "space": access.space, "days": settings.restore_days}
    return render(request, "conversations/deleted.html", ctx)
