"""Organisation pages: the tree, adding units, and the org-chart import (upload → preview →
confirm)."""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import AtollError, Invalid, NotFound
from atoll.org import importer, policy, service
from atoll.org import tree as changes
from atoll.org.models import Unit
from atoll.people.deps import Form, PageChrome, Viewer

router = APIRouter(include_in_schema=False)
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


async def _tree_context(db: DB) -> dict[str, object]:
    units = await service.all_units(db)
    counts = await service.people_per_unit(db)
    children: dict[int | None, list[object]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    return {
        "units": units,
        "children": children,
        "counts": counts,
        "level_name": service.level_name,
    }


@router.get("/units", dependencies=[PageChrome])
async def tree(request: Request, viewer: Viewer, db: DB) -> Response:
    policy.access_tree(viewer)
    return render(request, "org/tree.html", await _tree_context(db))


@router.get("/admin/units", dependencies=[PageChrome])
async def admin_units(request: Request, viewer: Viewer, db: DB) -> Response:
    policy.access_tree(viewer, to_change=True)
    return render(request, "org/admin_units.html", await _tree_context(db))


@router.post("/admin/units")
async def admin_add_unit(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    try:
        unit = await service.do_create_unit(
            db,
            actor=viewer,
            name=form.get("name", "")[:300],
            parent_id=form.get("parent_id") or None,
        )
    except AtollError as error:
        await discard_changes(db, request)
        ctx = await _tree_context(db)
        ctx.update(error=error.detail)
        return render(request, "org/admin_units.html", ctx, status_code=error.status)
    return RedirectResponse(f"/admin/units?added={unit.id}#unit-{unit.id}", status_code=303)


async def _unit_context(db: DB, unit: Unit) -> dict[str, object]:
    """One unit's page: where it sits, what it holds, and where it may go (not below itself)."""
    units = await service.all_units(db)
    counts = await service.people_per_unit(db)
    inside = unit.path + "/"
    return {
        "unit": unit,
        "unit_paths": service.unit_paths(units),
        "level_name": service.level_name,
        "people": counts.get(unit.id, 0),
        "below": [u for u in units if u.parent_id == unit.id],
        "targets": [
            u
            for u in units
            if u.id != unit.id and (unit.parent_id is None or not u.path.startswith(inside))
        ],
    }


@router.get("/admin/units/{unit_id}", dependencies=[PageChrome])
async def admin_unit(request: Request, unit_id: str, viewer: Viewer, db: DB) -> Response:
    policy.access_tree(viewer, to_change=True)
    unit = await changes.access_unit(db, unit_id)
    return render(request, "org/admin_unit.html", await _unit_context(db, unit))


@router.post("/admin/units/{unit_id}")
async def admin_change_unit(
    request: Request, unit_id: str, form: Form, viewer: Viewer, db: DB
) -> Response:
    """Rename, move, merge or delete a unit (``action``), then show the tree again."""
    policy.access_tree(viewer, to_change=True)
    unit = await changes.access_unit(db, unit_id)
    action, shown = form.get("action", ""), unit.id
    try:
        if action == "rename":
            await changes.do_update_unit(
                db, actor=viewer, unit=unit, name=form.get("name", "")[:300]
            )
        elif action == "move":
            if not form.get("parent_id"):
                raise Invalid.field("parent_id", "choose the unit to move it into")
            await changes.do_update_unit(db, actor=viewer, unit=unit, parent_id=form["parent_id"])
        elif action in ("merge", "delete"):
            if action == "merge" and not form.get("merge_into"):
                raise Invalid.field("merge_into", "choose the unit to merge it into")
            removal = await changes.do_delete_unit(
                db, actor=viewer, unit=unit, merge_into=form.get("merge_into") or None
            )
            shown = removal.into.id if removal.into else unit.parent_id or unit.id
        else:
            raise Invalid.field("action", "must be rename, move, merge or delete")
    except AtollError as error:
        await discard_changes(db, request)
        again = await changes.access_unit(db, unit_id)
        ctx = await _unit_context(db, again)
        ctx.update(error=error.detail)
        return render(request, "org/admin_unit.html", ctx, status_code=error.status)
    done = {"rename": "renamed", "move": "moved", "merge": "merged"}.get(action, "deleted")
    return RedirectResponse(f"/admin/units?done={done}#unit-{shown}", status_code=303)


@router.get("/admin/import", dependencies=[PageChrome])
async def import_page(request: Request, viewer: Viewer) -> Response:
    policy.access_tree(viewer, to_change=True)
    return render(request, "org/import.html", {})


@router.post("/admin/import")
async def import_preview(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    """Step 1: read the upload, run the import without keeping it, and show what would change."""
    policy.access_tree(viewer, to_change=True)
    upload = (await request.form()).get("file")
    if upload is None or isinstance(upload, str):
        raise Invalid.field("file", "choose a CSV file to upload")
    deactivate_missing = form.get("deactivate_missing") == "yes"
    data = await upload.read(importer.MAX_BYTES + 1)
    try:
        report = await importer.do_import_org(
            db, actor=viewer, data=data, apply=False, deactivate_missing=deactivate_missing
        )
    except AtollError as error:
        await discard_changes(db, request)
        return render(request, "org/import.html", {"error": error}, status_code=error.status)
    await discard_changes(db, request)
    token = None
    if not report.rejected:
        token = secrets.token_urlsafe(24)
        (settings.var_dir / "imports").mkdir(parents=True, exist_ok=True)
        (settings.var_dir / "imports" / f"{token}.csv").write_bytes(data)
    return render(
        request,
        "org/import.html",
        {
            "report": report,
            "token": token,
            "filename": upload.filename,
            "deactivate_missing": deactivate_missing,
        },
        status_code=_status(report),
    )


def _status(report: importer.ImportReport) -> int:
    if not report.rejected:
        return 200
    return 409 if report.conflict else 422


@router.post("/admin/import/confirm")
async def import_confirm(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    """Step 2: apply the previewed file."""
    policy.access_tree(viewer, to_change=True)
    token = form.get("token", "")
    path = settings.var_dir / "imports" / f"{token}.csv"
    if not UPLOAD_NAME.match(token) or not path.exists():
        raise NotFound("This preview has expired. Upload the file again.")
    report = await importer.do_import_org(
        db,
        actor=viewer,
        data=path.read_bytes(),
        apply=True,
        deactivate_missing=form.get("deactivate_missing") == "yes",
        file_name=form.get("filename", "")[:200],
    )
    if report.rejected:  # the organisation changed since the preview
        await discard_changes(db, request)
        return render(request, "org/import.html", {"report": report}, status_code=_status(report))
    response = render(request, "org/import.html", {"report": report, "done": True})
    # The preview's file goes once the import is durable: after the request's commit.
    response.background = BackgroundTask(path.unlink, missing_ok=True)
    return response
