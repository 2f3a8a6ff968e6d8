"""Organisation JSON API: the unit tree and the org-chart import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.http.respond import PROBLEM
from atoll.kit.errors import Conflict, Invalid
from atoll.org import importer, policy, service
from atoll.org.models import Unit
from atoll.org.schemas import ImportReportOut, UnitCreate, UnitList, UnitOut
from atoll.people.deps import Viewer

router = APIRouter(tags=["organisation"], route_class=IdempotentRoute)


def unit_out(unit: Unit, members: int) -> UnitOut:
    return UnitOut(
        id=str(unit.id),
        name=unit.name,
        parent_id=str(unit.parent_id) if unit.parent_id is not None else None,
        level=unit.level,
        path=unit.path,
        member_count=members,
    )


@router.get("/units", response_model=UnitList)
async def list_units(viewer: Viewer, db: DB, settings: AppSettings) -> UnitList:
    """The whole organisation tree in one page, parents before children (level 0 is the
    company; ``silo_level`` says which level counts as a silo)."""
    policy.access_tree(viewer)
    units = await service.all_units(db)
    counts = await service.people_per_unit(db)
    return UnitList(
        items=[unit_out(u, counts.get(u.id, 0)) for u in units], silo_level=settings.silo_level
    )


@router.post("/units", response_model=UnitOut, status_code=201)
async def create_unit(body: UnitCreate, viewer: Viewer, db: DB) -> UnitOut:
    unit = await service.do_create_unit(db, actor=viewer, name=body.name, parent_id=body.parent_id)
    return unit_out(unit, 0)


@router.post(
    "/admin/import/org",
    response_model=ImportReportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The org chart: email,name,title,unit_path,kind,organization,relation"
            " (+ skills separated by ';').",
        }
    },
)
async def import_org(
    request: Request,
    viewer: Viewer,
    db: DB,
    dry_run: Annotated[
        bool, Query(description="Report what would change; change nothing.")
    ] = False,
) -> ImportReportOut | JSONResponse:
    """Create or update people and units from a CSV file, all or nothing. A file with any bad
    row changes nothing and answers 422 with every bad row's line and reason — 409 when the
    rows are well-formed but would leave the organisation without an active administrator."""
    policy.access_tree(viewer, to_change=True)
    data = await request.body()
    if not data.strip():
        raise Invalid.field("body", "send the CSV file as the request body (text/csv)")
    report = await importer.do_import_org(db, actor=viewer, data=data, apply=not dry_run)
    if report.rejected:
        await db.rollback()
        error = (Conflict if report.conflict else Invalid)(
            f"{len(report.rejected)} row(s) are wrong; nothing was imported.",
            errors=report.rejected,
        )
        return JSONResponse(
            {**error.problem(), "report": report.as_dict()}, error.status, media_type=PROBLEM
        )
    if dry_run:
        await db.rollback()
    return ImportReportOut(**report.as_dict())
