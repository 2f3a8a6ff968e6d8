"""Report and moderation pages: the small "Report" form behind every post, comment, wiki page
and profile, the moderation queue (live: its list is fetched again when a
``moderation.changed`` reaches the page), resolving from it, and showing hidden content
again. They call the same service as the API and work without JavaScript."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from atoll.governance import policy, queue, service, targets
from atoll.governance.models import ACTIONS, REASONS
from atoll.http.request import DB, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import Forbidden, Invalid, RateLimited
from atoll.people.deps import Form, Limits, PageChrome, Viewer

router = APIRouter(include_in_schema=False)

REASON_LABELS = {
    "spam": "Spam or advertising",
    "harassment": "Harassment or abuse",
    "off_topic": "Off topic",
    "confidential": "Confidential information",
    "other": "Something else",
}
ACTION_LABELS = {
    "dismiss": "Dismiss (no action)",
    "hide": "Hide it (only its author and moderators see it)",
    "delete": "Delete it",
    "warn": "Warn the author",
    "suspend": "Suspend the author",
}
NOUNS = {"post": "post", "comment": "comment", "wiki_page": "wiki page", "person": "person"}
Text = Annotated[str, Query(max_length=20)]


def _form_context(target_type: str, target_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "target_type": target_type,
        "target_id": target_id,
        "noun": NOUNS.get(target_type, "thing"),
        "reasons": [(r, REASON_LABELS[r]) for r in REASONS],
        **extra,
    }


@router.get("/report", dependencies=[PageChrome])
async def report_form(
    request: Request, viewer: Viewer, db: DB, target_type: Text = "", target_id: Text = ""
) -> Response:
    """The form: what is reported, a reason, a detail. Not found for what the viewer cannot
    read."""
    service.check_target_type(target_type)
    target = await targets.load(db, viewer=viewer, target_type=target_type, target_id=target_id)
    shown = (await targets.describe(db, [(target.type, target.id)]))[target.type, target.id]
    return render(
        request, "governance/report.html", _form_context(target_type, target_id, shown=shown)
    )


@router.post("/report")
async def report(request: Request, form: Form, viewer: Viewer, db: DB, limits: Limits) -> Response:
    target_type, target_id = form.get("target_type", ""), form.get("target_id", "")
    try:
        await service.do_report(
            db,
            reporter=viewer,
            target_type=target_type,
            target_id=target_id,
            reason=form.get("reason", ""),
            detail=form.get("detail"),
            limits=limits,
        )
    except (Invalid, RateLimited) as error:
        await discard_changes(db, request)
        ctx = _form_context(target_type, target_id, error=error.detail, detail=form.get("detail"))
        response = render(request, "governance/report.html", ctx, status_code=error.status)
        response.headers.update(error.headers)
        return response
    return render(request, "governance/reported.html", {"noun": NOUNS.get(target_type, "thing")})


async def _queue_context(
    db: DB, viewer: Viewer, status: str, space_id: str | None, cursor: str | None
) -> dict[str, Any]:
    groups, next_cursor = await queue.queue_page(
        db, viewer=viewer, status=status, space_id=space_id or None, cursor=cursor
    )
    actions = [a for a in ACTIONS if policy.may_take(viewer, a)]
    return {
        "groups": groups,
        "next_cursor": next_cursor,
        "status": status if status in queue.STATUSES else "open",
        "space_id": space_id or "",
        "actions": [(a, ACTION_LABELS[a]) for a in actions],
        "reason_labels": REASON_LABELS,
        "nouns": NOUNS,
    }


@router.get("/moderation", dependencies=[PageChrome])
async def moderation(
    request: Request,
    viewer: Viewer,
    db: DB,
    status: Annotated[str, Query(max_length=10)] = "open",
    space_id: Text = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The moderation queue. Whoever handles no reports is told so (403)."""
    try:
        ctx = await _queue_context(db, viewer, status, space_id, cursor)
    except Forbidden as error:
        return render(request, "governance/queue.html", {"refused": error.detail}, status_code=403)
    return render(request, "governance/queue.html", ctx)


@router.get("/moderation/items")
async def moderation_items(
    request: Request,
    viewer: Viewer,
    db: DB,
    status: Annotated[str, Query(max_length=10)] = "open",
    space_id: Text = "",
) -> Response:
    """The queue's list alone, for the live page to swap in."""
    ctx = await _queue_context(db, viewer, status, space_id, None)
    ctx["open_moderation"] = await queue.open_count(db, viewer=viewer)
    return render(request, "governance/_items.html", ctx)


@router.post("/moderation/reports/{report_id}/resolve")
async def resolve(request: Request, report_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    days = form.get("days", "").strip()
    try:
        await service.do_resolve(
            db,
            actor=viewer,
            report_id=report_id,
            action=form.get("action", ""),
            note=form.get("note"),
            days=int(days) if days.isdigit() else None,
        )
    except (Invalid, Forbidden) as error:
        await discard_changes(db, request)
        ctx = await _queue_context(db, viewer, "open", form.get("space_id"), None)
        ctx["error"], ctx["error_report"] = error.detail, report_id
        return render(request, "governance/queue.html", ctx, status_code=error.status)
    return RedirectResponse("/moderation?resolved=1", status_code=303)


@router.post("/admin/people/{person_id}/lift-suspension")
async def lift_suspension(person_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    """From the administrators' people page: end a suspension now, back to that person's row."""
    person = await service.do_lift_suspension(db, actor=viewer, person_id=person_id)
    shown = urlencode({"changed": person.id, "q": person.email})
    return RedirectResponse(f"/admin/people?{shown}", status_code=303)


@router.post("/posts/{post_id}/unhide")
async def unhide_post(post_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    await service.do_unhide(db, actor=viewer, target_type="post", target_id=post_id)
    return RedirectResponse(f"/posts/{post_id}", status_code=303)


@router.post("/comments/{comment_id}/unhide")
async def unhide_comment(comment_id: str, form: Form, viewer: Viewer, db: DB) -> Response:
    target = await service.do_unhide(db, actor=viewer, target_type="comment", target_id=comment_id)
    assert target.post is not None
    return RedirectResponse(f"/posts/{target.post.id}#comment-{comment_id}", status_code=303)
