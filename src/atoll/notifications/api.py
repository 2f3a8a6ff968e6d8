"""Notifications JSON API: the caller's notifications, marking them read, e-mail preferences,
and whom a draft would notify (``notify-preview``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.notifications import preview, service
from atoll.notifications.models import NotificationPreference
from atoll.notifications.schemas import (
    NotificationOut,
    NotifyPreviewIn,
    NotifyPreviewOut,
    PersonRefOut,
    PreferencesIn,
    PreferencesOut,
    ReadIn,
    ReadOut,
    UnreadOut,
)
from atoll.notifications.views import NotificationView, as_json
from atoll.people.deps import Viewer

router = APIRouter(tags=["notifications"], route_class=IdempotentRoute)

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def notification_out(view: NotificationView) -> NotificationOut:
    return NotificationOut.model_validate(as_json(view))


def preferences_out(prefs: NotificationPreference) -> PreferencesOut:
    return PreferencesOut(
        email_mentions=prefs.email_mentions,
        email_invitations=prefs.email_invitations,
        email_digest=prefs.email_digest,
    )


@router.get("/notifications", response_model=Page[NotificationOut])
async def list_notifications(
    viewer: Viewer,
    db: DB,
    unread: bool = False,
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[NotificationOut]:
    """The caller's notifications, newest first (``unread=true``: only those not read yet).
    Only about what the caller may still see."""
    views, next_cursor = await service.notifications_page(
        db, viewer=viewer, unread=unread, cursor=cursor, limit=limit
    )
    return Page(items=[notification_out(v) for v in views], next_cursor=next_cursor)


@router.get("/notifications/unread", response_model=UnreadOut)
async def unread_count(viewer: Viewer, db: DB) -> UnreadOut:
    """How many of the caller's notifications are unread (the bell's number)."""
    return UnreadOut(unread=await service.unread_count(db, viewer=viewer))


@router.post("/notifications/read", response_model=ReadOut)
async def mark_read(body: ReadIn, viewer: Viewer, db: DB) -> ReadOut:
    """Mark the caller's notifications read: ``{"ids": [...]}`` or ``{"all": true}``. Ids that
    are not the caller's, or already read, are left alone."""
    marked = await service.do_mark_read(db, viewer=viewer, ids=body.ids, all=body.all)
    return ReadOut(marked=marked, unread=await service.unread_count(db, viewer=viewer))


@router.get("/notifications/preferences", response_model=PreferencesOut)
async def get_preferences(viewer: Viewer, db: DB) -> PreferencesOut:
    """The caller's e-mail preferences."""
    return preferences_out(await service.preferences_of(db, person=viewer))


@router.put("/notifications/preferences", response_model=PreferencesOut)
async def put_preferences(body: PreferencesIn, viewer: Viewer, db: DB) -> PreferencesOut:
    """Change the caller's e-mail preferences; fields left out stay as they are."""
    prefs = await service.do_set_preferences(
        db, person=viewer, changes=body.model_dump(exclude_none=True)
    )
    return preferences_out(prefs)


def notify_preview_out(found: preview.Preview) -> NotifyPreviewOut:
    who = found.who
    return NotifyPreviewOut(
        total=who.total,
        mentioned=len(who.mentioned),
        space_followers=len(who.space_followers),
        author_followers=len(who.author_followers),
        replied=len(who.replied),
        cannot_see=[PersonRefOut(id=str(p.id), name=p.name) for p in found.cannot_see],
    )


@router.post("/spaces/{space_id}/notify-preview", response_model=NotifyPreviewOut)
async def notify_preview(
    space_id: str, body: NotifyPreviewIn, viewer: Viewer, db: DB
) -> NotifyPreviewOut:
    """Whom posting ``body`` in the space would notify — or, with ``post_id``, commenting on
    that post (``parent_id``: replying to that comment) — counted by the same rules the
    notifications follow; and whom it mentions who cannot see the space. Writes nothing.
    404 for a space the caller may not know, 403 where they may not post (or comment)."""
    found = await preview.notify_preview(
        db,
        viewer=viewer,
        space_id=space_id,
        body=body.body,
        kind=body.kind,
        post_id=body.post_id,
        parent_id=body.parent_id,
    )
    return notify_preview_out(found)
