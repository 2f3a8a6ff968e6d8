"""Reports and the moderation queue, as JSON. Thin: every route calls the service or the
queue, which decide."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from atoll.conversations.schemas import SpaceRef
from atoll.governance import queue, service
from atoll.governance.models import Report
from atoll.governance.queue import Group
from atoll.governance.schemas import (
    PersonRef,
    QueueItemOut,
    QueueReportOut,
    ReportIn,
    ReportOut,
    ResolutionOut,
    ResolveIn,
    ResolveOut,
    SuspensionOut,
    TargetOut,
)
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.people.deps import Limits, Viewer
from atoll.people.models import Person

router = APIRouter(tags=["governance"], route_class=IdempotentRoute)

Cursor = Annotated[str | None, Query(max_length=500)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def report_out(report: Report) -> ReportOut:
    resolved = report.resolved_at is not None
    return ReportOut(
        id=str(report.id),
        target_type=report.target_type,
        target_id=str(report.target_id),
        space_id=str(report.space_id) if report.space_id is not None else None,
        reason=report.reason,
        detail=report.detail,
        created_at=report.created_at,
        status="resolved" if resolved else "open",
        action=report.action,
        note=report.note if resolved else None,
        resolved_at=report.resolved_at,
    )


def _ref(person: Person | None) -> PersonRef | None:
    return PersonRef(id=str(person.id), name=person.name) if person is not None else None


def item_out(group: Group) -> QueueItemOut:
    shown, last = group.target, group.last
    space = shown.space
    return QueueItemOut(
        report_id=str(last.id),
        target=TargetOut(
            type=shown.type,
            id=str(shown.id),
            excerpt=shown.excerpt,
            url=shown.url,
            state=shown.state,
            author=_ref(shown.author),
            space=SpaceRef(id=str(space.id), name=space.name, slug=space.slug, kind=space.kind)
            if space is not None
            else None,
        ),
        count=group.count,
        reasons=group.reasons,
        reports=[
            QueueReportOut(
                id=str(report.id),
                reporter=PersonRef(id=str(reporter.id), name=reporter.name),
                reason=report.reason,
                detail=report.detail,
                created_at=report.created_at,
            )
            for report, reporter in group.reports
        ],
        first_reported_at=group.first_at,
        status="resolved" if last.resolved_at is not None else "open",
        resolution=ResolutionOut(
            action=last.action or "",
            note=last.note,
            resolved_at=last.resolved_at,
            resolved_by=str(last.resolved_by_id) if last.resolved_by_id is not None else None,
        )
        if last.resolved_at is not None
        else None,
    )


@router.post("/reports", response_model=ReportOut, status_code=201)
async def create_report(
    body: ReportIn, viewer: Viewer, db: DB, response: Response, limits: Limits
) -> ReportOut:
    """Report a post, a comment, a wiki page or a person to the moderators. Anyone signed in
    who may read it (404 otherwise, as reading it would answer). Reporting the same thing
    again while your report is open answers 200 with that report; a new one is 201."""
    report, created = await service.do_report(
        db,
        reporter=viewer,
        target_type=body.target_type,
        target_id=body.target_id,
        reason=body.reason,
        detail=body.detail,
        limits=limits,
    )
    if not created:
        response.status_code = 200
    return report_out(report)


@router.get("/moderation/queue", response_model=Page[QueueItemOut])
async def moderation_queue(
    viewer: Viewer,
    db: DB,
    space_id: Annotated[str | None, Query(max_length=20)] = None,
    status: Literal["open", "resolved"] = "open",
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Page[QueueItemOut]:
    """The reports the caller handles, grouped per target, newest first: a space's owners and
    moderators those on its content; platform moderators and administrators every report on
    what they can read, and reports on people. 403 for whoever handles none; with
    `space_id`, 404 for a space the caller may not know, 403 if they do not handle it."""
    groups, next_cursor = await queue.queue_page(
        db, viewer=viewer, status=status, space_id=space_id, cursor=cursor, limit=limit
    )
    return Page(items=[item_out(g) for g in groups], next_cursor=next_cursor)


@router.post("/reports/{report_id}/resolve", response_model=ResolveOut)
async def resolve_report(report_id: str, body: ResolveIn, viewer: Viewer, db: DB) -> ResolveOut:
    """Resolve every open report on the report's target: `dismiss` (nothing happens), `hide`
    (only its author and moderators still see it), `delete`, `warn` (the author is told), or
    `suspend` the author or the person reported for `days` (platform moderators and
    administrators only). `note` is required for all but dismiss. The author and every
    reporter are notified. 409 when it was resolved already."""
    done = await service.do_resolve(
        db, actor=viewer, report_id=report_id, action=body.action, note=body.note, days=body.days
    )
    return ResolveOut(
        action=body.action,
        note=done.reports[0].note if done.reports else "",
        resolved=[str(r.id) for r in done.reports],
    )


@router.post("/posts/{post_id}/unhide", status_code=204)
async def unhide_post(post_id: str, viewer: Viewer, db: DB) -> Response:
    """Show a post a moderator hid again (the space's moderators, platform moderators)."""
    await service.do_unhide(db, actor=viewer, target_type="post", target_id=post_id)
    return Response(status_code=204)


@router.post("/comments/{comment_id}/unhide", status_code=204)
async def unhide_comment(comment_id: str, viewer: Viewer, db: DB) -> Response:
    """Show a comment a moderator hid again (the space's moderators, platform moderators)."""
    await service.do_unhide(db, actor=viewer, target_type="comment", target_id=comment_id)
    return Response(status_code=204)


@router.delete("/people/{person_id}/suspension", response_model=SuspensionOut)
async def lift_suspension(person_id: str, viewer: Viewer, db: DB) -> SuspensionOut:
    """An administrator ends a person's suspension now."""
    person = await service.do_lift_suspension(db, actor=viewer, person_id=person_id)
    return SuspensionOut(person_id=str(person.id), suspended_until=person.suspended_until)
