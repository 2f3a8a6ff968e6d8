"""The audit log's admin page: ``/admin/audit`` with its filters, a page of entries at a time,
the actor type-ahead, and the CSV download (the same filters, the same recording as the
API's ``Accept: text/csv``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func, select

from atoll.audit.queries import AuditFilters, audit_actions, audit_entries, check_filters
from atoll.governance import audit_log
from atoll.http.request import DB
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.people.deps import PageChrome, Viewer
from atoll.people.models import Person

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]
TARGET_TYPES = ("person", "space", "unit", "invitation", "token", "org_import", "audit_log")


async def _actor_id(db: DB, actor: str) -> tuple[str | None, list[Person]]:
    """The actor field: an id, or a name (a unique match, else the people it could mean)."""
    text = actor.strip()
    if not text:
        return None, []
    if parse_id(text) is not None:
        return text, []
    rows = list(
        (
            await db.scalars(
                select(Person)
                .where(func.lower(Person.name) == text.lower())
                .order_by(Person.id)
                .limit(10)
            )
        ).all()
    )
    if len(rows) == 1:
        return str(rows[0].id), []
    if not rows:
        raise Invalid.field("actor", f"nobody is called {text}; type a name or an id")
    return None, rows


def _query(filters: dict[str, str], **more: str) -> str:
    return urlencode({k: v for k, v in {**filters, **more}.items() if v})


@router.get("/admin/audit", dependencies=[PageChrome])
async def audit_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    actor: Text = "",
    action: Text = "",
    target_type: Text = "",
    target_id: Text = "",
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: Annotated[str, Query(max_length=40)] = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    audit_log.access_audit(viewer)
    form = {
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "from": start,
        "to": to,
    }
    ctx: dict[str, object] = {
        "form": form,
        "actions": await audit_actions(db),
        "target_types": TARGET_TYPES,
        "views": [],
        "next_cursor": None,
        "choices": [],
    }
    try:
        actor_id, choices = await _actor_id(db, actor)
        filters = check_filters(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            start=start,
            end=to,
        )
        if not choices:
            entries, next_cursor = await audit_entries(db, filters=filters, cursor=cursor, limit=50)
            ctx.update(views=await audit_log.entry_views(db, entries), next_cursor=next_cursor)
    except Invalid as error:
        ctx.update(error=error.detail)
        return render(request, "governance/audit.html", ctx, status_code=422)
    ctx.update(
        choices=choices,
        download=f"/admin/audit.csv?{_query(form)}",
        more=f"/admin/audit?{_query(form, cursor=next_cursor or '')}" if not choices else None,
        query=_query,
    )
    return render(request, "governance/audit.html", ctx)


@router.get("/admin/audit/actors")
async def actor_options(request: Request, viewer: Viewer, db: DB, actor: Text = "") -> Response:
    """Type-ahead for the actor field: up to ten people whose name starts with the text."""
    audit_log.access_audit(viewer)
    text = actor.strip().lower().replace("\\", "").replace("%", "").replace("_", "")
    people: list[Person] = []
    if text:
        people = list(
            (
                await db.scalars(
                    select(Person)
                    .where(func.lower(Person.name).like(f"{text}%"))
                    .order_by(Person.name, Person.id)
                    .limit(10)
                )
            ).all()
        )
    return render(request, "governance/_actor_options.html", {"people": people})


@router.get("/admin/audit.csv")
async def audit_download(
    request: Request,
    viewer: Viewer,
    db: DB,
    actor: Text = "",
    action: Text = "",
    target_type: Text = "",
    target_id: Text = "",
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The whole filtered log as CSV, as the page shows it filtered; the download is logged."""
    audit_log.access_audit(viewer)
    actor_id, choices = await _actor_id(db, actor)
    if choices:
        raise Invalid.field("actor", "several people have this name; choose one by id")
    filters: AuditFilters = check_filters(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        start=start,
        end=to,
    )
    audit_log.do_record_export(db, actor=viewer, filters=filters)
    return StreamingResponse(
        audit_log.csv_stream(request.app.state.sessionmaker, filters),
        media_type=audit_log.CSV_TYPE,
        headers={"Content-Disposition": 'attachment; filename="atoll-audit.csv"'},
    )
