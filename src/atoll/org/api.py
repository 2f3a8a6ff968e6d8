"""Organisation JSON API: the unit tree and the org-chart import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.http.respond import PROBLEM
from atoll.kit.errors import Conflict, Invalid
from atoll.org import importer, policy, service, tree
from atoll.org.models import Unit
from atoll.org.schemas import ImportReportOut, UnitCreate, UnitList, UnitOut, UnitPatch
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


@router.patch("/units/{unit_id}", response_model=UnitOut)
async def change_unit(unit_id: str, body: UnitPatch, viewer: Viewer, db: DB) -> UnitOut:
    """Rename a unit and/or move it below another: its whole sub-tree follows (levels and
    paths), and so do the unit spaces. Moving the top of the organisation, or a unit below
    itself or one of its own units, is 422; a sibling of the same name is 409."""
    policy.access_tree(viewer, to_change=True)
    unit = await tree.access_unit(db, unit_id)
    unit = await tree.do_update_unit(
        db, actor=viewer, unit=unit, name=body.name, parent_id=body.parent_id
    )
    counts = await service.people_per_unit(db)
    return unit_out(unit, counts.get(unit.id, 0))


@router.delete("/units/{unit_id}", status_code=204, response_class=Response)
async def delete_unit(
    unit_id: str,
    viewer: Viewer,
    db: DB,
    merge_into: Annotated[
        str | None,
        Query(
            max_length=20,
            description="Move the unit's people and units into this unit first (a unit of "
            "the same name there takes in theirs), then delete it.",
        ),
    ] = None,
) -> Response:
    """Delete an empty unit (409, saying what it holds, when it is not), or merge it into
    another with ``merge_into``. Its unit space is archived (read-only, content kept)."""
    policy.access_tree(viewer, to_change=True)
    unit = await tree.access_unit(db, unit_id)
    await tree.do_delete_unit(db, actor=viewer, unit=unit, merge_into=merge_into)
    return Response(status_code=204)


@router.post(
    "/admin/import/org",
    response_model=ImportReportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The org chart: email,name,title,unit_path,kind,organization,relation"
            " (+ skills separated by ';', + manager: the manager's e-mail).",
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
    deactivate_missing: Annotated[
        bool,
        Query(
            description="Deactivate the active members absent from the file (never externals, "
            "the caller or the last administrator)."
        ),
    ] = False,
    filename: Annotated[
        str, Query(max_length=200, description="The file's name, kept in the audit log.")
    ] = "",
) -> ImportReportOut | JSONResponse:
    """Create or update people and units from a CSV file, all or nothing. A file with any bad
    row changes nothing and answers 422 with every bad row's line and reason — 409 when the
    rows are well-formed but would leave the organisation without an active administrator."""
    policy.access_tree(viewer, to_change=True)
    data = await request.body()
    if not data.strip():
        raise Invalid.field("body", "send the CSV file as the request body (text/csv)")
    report = await importer.do_import_org(
        db,
        actor=viewer,
        data=data,
        apply=not dry_run,
        deactivate_missing=deactivate_missing,
        file_name=filename,
    )
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
