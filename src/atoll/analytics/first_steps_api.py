"""First steps in the JSON API: the caller's checklist (``/me/first-steps``), hiding it and
showing it again, and, for administrators and analysts, how many people of each unit took
each step (``/analytics/first-steps``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response

from atoll.analytics import first_steps
from atoll.analytics.api import analyst, unit_of
from atoll.analytics.policy import MIN_GROUP
from atoll.analytics.schemas import FirstStepsByUnitOut, FirstStepsOut, UnitFirstStepsOut
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.kit.errors import NotFound
from atoll.people.deps import Viewer
from atoll.people.models import Unit

router = APIRouter(tags=["first steps"], route_class=IdempotentRoute)


@router.get("/me/first-steps", response_model=FirstStepsOut)
async def get_first_steps(viewer: Viewer, db: DB) -> FirstStepsOut:
    steps = await first_steps.first_steps_for(db, person=viewer)
    return FirstStepsOut.model_validate(
        {
            "steps": [asdict(s) for s in steps.steps],
            "done": steps.done,
            "dismissed": steps.dismissed,
        }
    )


@router.post("/me/first-steps/dismiss", status_code=204)
async def dismiss_first_steps(viewer: Viewer, db: DB) -> Response:
    """Hide the checklist from the home page."""
    await first_steps.do_dismiss_first_steps(db, person=viewer)
    return Response(status_code=204)


@router.delete("/me/first-steps/dismiss", status_code=204)
async def show_first_steps(viewer: Viewer, db: DB) -> Response:
    """Show the checklist on the home page again."""
    await first_steps.do_show_first_steps(db, person=viewer)
    return Response(status_code=204)


@router.get("/analytics/first-steps", response_model=FirstStepsByUnitOut)
async def get_first_steps_by_unit(
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    unit_id: Annotated[
        str | None,
        Query(
            max_length=20, description="Only the units at the silo level in (or above) this one."
        ),
    ] = None,
) -> FirstStepsByUnitOut:
    analyst(viewer)
    units = await first_steps_units(db, settings.silo_level, unit_of(unit_id))
    return FirstStepsByUnitOut(silo_level=settings.silo_level, min_group=MIN_GROUP, units=units)


async def first_steps_units(
    db: DB, silo_level: int, unit_id: int | None
) -> list[UnitFirstStepsOut]:
    within = None
    if unit_id is not None and (within := await db.get(Unit, unit_id)) is None:
        raise NotFound("There is no such unit.")
    rows = await first_steps.first_steps_by_unit(db, silo_level=silo_level, within=within)
    return [
        UnitFirstStepsOut(
            unit_id=str(row.unit_id),
            name=row.name,
            members=row.members,
            taken=row.taken,
            asked=row.asked,
        )
        for row in rows
    ]
