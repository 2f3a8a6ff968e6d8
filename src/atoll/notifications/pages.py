"""Notification pages: the list with mark read one by one or all, opening one (marks it read and
goes to the exact post, comment or space), e-mail preferences, and the unsubscribe page that
works without signing in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.http.request import DB, AppSettings
from atoll.http.templating import render
from atoll.kit.errors import AtollError
from atoll.notifications import email, preview, service
from atoll.people.deps import Form, MaybeViewer, PageChrome, Viewer

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 30


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/notifications", dependencies=[PageChrome])
async def notifications_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    show: Annotated[str, Query(max_length=10)] = "all",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    unread = show == "unread"
    views, next_cursor = await service.notifications_page(
        db, viewer=viewer, unread=unread, cursor=cursor, limit=PAGE_SIZE
    )
    ctx = {
        "views": views,
        "next_cursor": next_cursor,
        "show": "unread" if unread else "all",
        "more_url": f"/notifications?show={'unread' if unread else 'all'}&cursor=",
    }
    if cursor and _is_htmx(request):
        return render(request, "notifications/_page.html", ctx)
    return render(request, "notifications/list.html", ctx)


@router.post("/notifications/read-all")
async def read_all(form: Form, viewer: Viewer, db: DB) -> Response:
    await service.do_mark_read(db, viewer=viewer, all=True)
    return RedirectResponse("/notifications?read=all", status_code=303)


@router.post("/notifications/{notification_id}/read")
async def read_one(
    request: Request, notification_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    """Mark one read. htmx gets the item back, and the bell with its new count."""
    view = await service.access_notification(db, viewer=viewer, notification_id=notification_id)
    await service.do_mark_read(db, viewer=viewer, ids=[view.notification.id])
    if _is_htmx(request):
        await db.refresh(view.notification)
        unread = await service.unread_count(db, viewer=viewer)
        return render(
            request, "notifications/_item_read.html", {"view": view, "unread_notifications": unread}
        )
    return RedirectResponse(f"/notifications#n-{view.notification.id}", status_code=303)


@router.get("/notifications/{notification_id}/open")
async def open_one(notification_id: str, viewer: Viewer, db: DB) -> Response:
    """Follow a notification: it is read now; go to the post, the comment or the space."""
    view = await service.access_notification(db, viewer=viewer, notification_id=notification_id)
    await service.do_mark_read(db, viewer=viewer, ids=[view.notification.id])
    return RedirectResponse(view.url, status_code=303)


# --- preferences ----------------------------------------------------------------------------


@router.get("/notifications/preferences", dependencies=[PageChrome])
async def preferences_page(request: Request, viewer: Viewer, db: DB) -> Response:
    prefs = await service.preferences_of(db, person=viewer)
    saved = request.query_params.get("saved") == "1"
    return render(request, "notifications/preferences.html", {"prefs": prefs, "saved": saved})


@router.post("/notifications/preferences")
async def save_preferences(form: Form, viewer: Viewer, db: DB) -> Response:
    changes: dict[str, bool | None] = {
        column: form.get(column) == "on" for column in email.UNSUBSCRIBE.values()
    }
    await service.do_set_preferences(db, person=viewer, changes=changes)
    return RedirectResponse("/notifications/preferences?saved=1", status_code=303)


# --- unsubscribe (no sign-in) ---------------------------------------------------------------


@router.get("/notifications/unsubscribe", dependencies=[PageChrome])
async def unsubscribe_page(
    request: Request,
    viewer: MaybeViewer,
    settings: AppSettings,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Confirm before turning e-mail off: a link opened by a mail scanner changes nothing."""
    _, what = service.check_unsubscribe_token(settings, token)
    return render(
        request,
        "notifications/unsubscribe.html",
        {"token": token, "what": what, "about": email.ABOUT[what], "done": False},
    )


@router.post("/notifications/unsubscribe")
async def unsubscribe(request: Request, form: Form, db: DB, settings: AppSettings) -> Response:
    what = await service.do_unsubscribe(db, settings, token=form.get("token", ""))
    return render(
        request,
        "notifications/unsubscribe.html",
        {"what": what, "about": email.ABOUT[what], "done": True},
    )


@router.post("/compose/notify")
async def notify_line(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    """The composer's "who will be notified" line (htmx, as the draft changes): the same
    answer as ``POST /api/v1/spaces/{id}/notify-preview``. A draft that cannot be posted says
    why in the line instead."""
    try:
        found = await preview.notify_preview(
            db,
            viewer=viewer,
            space_id=form.get("space_id", ""),
            body=form.get("body", ""),
            kind=form.get("kind") or None,
            post_id=form.get("post_id") or None,
            parent_id=form.get("parent_id") or None,
        )
    except AtollError as error:
        return render(request, "notifications/_notify_line.html", {"problem": error.detail})
    return render(request, "notifications/_notify_line.html", {"found": found})
