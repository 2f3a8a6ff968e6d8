"""The audit log's JSON API (administrators): ``GET /admin/audit``, a page at a time, or the
whole filtered log as CSV with ``Accept: text/csv`` (streamed in batches)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from atoll.audit.queries import audit_entries, check_filters
from atoll.governance import audit_log
from atoll.governance.audit_schemas import AuditActorOut, AuditEntryOut
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.kit.pagination import MAX_LIMIT, Page
from atoll.kit.time import rfc3339
from atoll.people.deps import Viewer

router = APIRouter(tags=["governance"], route_class=IdempotentRoute)

CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def entry_out(view: audit_log.EntryView) -> AuditEntryOut:
    entry = view.entry
    actor = None
    if entry.actor_id is not None:
        actor = AuditActorOut(id=str(entry.actor_id), name=view.actor_name)
    return AuditEntryOut(
        id=str(entry.id),
        at=rfc3339(entry.at) or "",
        actor=actor,
        actor_label=entry.actor_label,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        space_id=str(entry.space_id) if entry.space_id is not None else None,
        detail=view.detail,
    )


@router.get("/admin/audit", response_model=Page[AuditEntryOut], responses=CSV_RESPONSE)
async def get_audit_log(
    request: Request,
    viewer: Viewer,
    db: DB,
    actor_id: Annotated[str | None, Query(max_length=20)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_type: Annotated[str | None, Query(max_length=100)] = None,
    target_id: Annotated[str | None, Query(max_length=100)] = None,
    space_id: Annotated[str | None, Query(max_length=20)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
) -> Any:
    """Administrators: the append-only audit log, newest first, filtered by who acted, the
    action (`person.role_changed`), the target, the space and a time range (`from`
    included, `to` excluded; a date as `to` includes that day). Each entry's `detail` holds
    `before` and `after` for a change. With `Accept: text/csv` the answer is the whole
    filtered log as CSV (no paging), and the download is itself recorded (`audit.exported`).
    Nobody can edit or delete an entry."""
    audit_log.access_audit(viewer)
    filters = check_filters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        space_id=space_id,
        start=start,
        end=to,
    )
    if "text/csv" in request.headers.get("accept", ""):
        audit_log.do_record_export(db, actor=viewer, filters=filters)
        return StreamingResponse(
            audit_log.csv_stream(request.app.state.sessionmaker, filters),
            media_type=audit_log.CSV_TYPE,
            headers={"Content-Disposition": 'attachment; filename="atoll-audit.csv"'},
        )
    entries, next_cursor = await audit_entries(db, filters=filters, cursor=cursor, limit=limit)
    views = await audit_log.entry_views(db, entries)
    return Page(items=[entry_out(v) for v in views], next_cursor=next_cursor)
