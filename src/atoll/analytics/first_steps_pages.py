"""First steps on the pages: the home page's checklist (``/first-steps/panel``, which the home
page loads after it has been shown), the checklist's own page (readable without JavaScript),
hiding it and showing it again, and the administrators' table of steps taken per unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from atoll.analytics import first_steps
from atoll.analytics.api import unit_of
from atoll.analytics.first_steps_api import first_steps_units
from atoll.analytics.pages import check_viewer
from atoll.analytics.policy import MIN_GROUP
from atoll.analytics.words import unit_options
from atoll.http.request import DB, AppSettings
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.org import service as org
from atoll.people.deps import Form, PageChrome, Viewer

router = APIRouter(include_in_schema=False)


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/first-steps/panel")
async def first_steps_panel(request: Request, viewer: Viewer, db: DB) -> Response:
    """The home page's checklist, or nothing once it is hidden or every step is taken."""
    steps = await first_steps.first_steps_for(db, person=viewer)
    return render(request, "analytics/_first_steps.html", {"first_steps": steps, "on_home": True})


@router.get("/first-steps", dependencies=[PageChrome])
async def first_steps_page(request: Request, viewer: Viewer, db: DB) -> Response:
    steps = await first_steps.first_steps_for(db, person=viewer)
    return render(request, "analytics/first_steps.html", {"first_steps": steps, "on_home": False})


@router.post("/first-steps/dismiss")
async def dismiss(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    await first_steps.do_dismiss_first_steps(db, person=viewer)
    if _htmx(request):  # the checklist is swapped for a line saying where to find it again
        return render(request, "analytics/_first_steps_hidden.html")
    return RedirectResponse("/", status_code=303)


@router.post("/first-steps/show")
async def show(request: Request, form: Form, viewer: Viewer, db: DB) -> Response:
    await first_steps.do_show_first_steps(db, person=viewer)
    return RedirectResponse("/", status_code=303)


@router.get("/analytics/first-steps", dependencies=[PageChrome])
async def first_steps_by_unit_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    unit_id: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    check_viewer(viewer)
    ctx = {
        "unit_options": unit_options(await org.all_units(db)),
        "unit_id": unit_id,
        "steps": first_steps.STEPS,
        "min_group": MIN_GROUP,
        "level_label": org.level_name(settings.silo_level),
    }
    try:
        ctx["units"] = await first_steps_units(db, settings.silo_level, unit_of(unit_id))
    except Invalid as error:
        ctx.update(error=error.detail, units=[])
        return render(request, "analytics/first_steps_units.html", ctx, status_code=422)
    return render(request, "analytics/first_steps_units.html", ctx)
