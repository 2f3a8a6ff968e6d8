"""Analytics JSON API (administrators and analysts): the value matrix with its journey, the
network, adoption. Each answers CSV instead when the client sends ``Accept: text/csv``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import csv as analytics_csv
from atoll.analytics import queries, service
from atoll.analytics.champions import champions
from atoll.analytics.periods import local_day, midnight, months_back, snap
from atoll.analytics.policy import can_view_analytics
from atoll.analytics.readiness import check_as_of, readiness
from atoll.analytics.readiness_thresholds import do_set_thresholds
from atoll.analytics.recommendations import recommendations_for
from atoll.analytics.schemas import AdoptionOut, NetworkOut, ValueMatrixOut
from atoll.analytics.schemas_readiness import (
    ChampionsOut,
    ReadinessOut,
    ReadinessThresholdsIn,
    ReadinessThresholdsOut,
)
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB, AppSettings
from atoll.kit.errors import Forbidden, Invalid
from atoll.kit.time import as_utc, utcnow
from atoll.people.deps import Viewer
from atoll.people.models import Person

router = APIRouter(tags=["analytics"], route_class=IdempotentRoute)

DEFAULT_MONTHS = 12  # the default range: these calendar months, the current one so far
MAX_SPAN = timedelta(days=5 * 366)
FIRST_YEAR, LAST_YEAR = 1970, 2999
CSV_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}

From = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=40,
        description="Start of the range: a date or an RFC 3339 time, snapped back to the "
        "start of its day in the organisation's time zone (ATOLL_TIMEZONE). Default: the "
        "first day of the month eleven months before 'to'.",
    ),
]
To = Annotated[
    str | None,
    Query(
        max_length=40,
        description="End of the range: a date (the range then includes that whole day) or an "
        "RFC 3339 time, snapped forward to the next midnight in the organisation's time zone. "
        "Default: the end of today.",
    ),
]
UnitId = Annotated[
    str | None,
    Query(
        max_length=20,
        description="Only interactions whose actor or target was in this unit "
        "or below it at the time.",
    ),
]


def analyst(viewer: Person) -> Person:
    if not can_view_analytics(viewer):
        raise Forbidden("Analytics is open to administrators and analysts only.")
    return viewer


def _moment(field: str, value: str, *, end: bool, zone: tzinfo) -> datetime:
    """A date (its midnight in ``zone``; for an end, the next one) or an RFC 3339 time (a time
    without offset is UTC)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return midnight(day + timedelta(days=1) if end else day, zone)
        return as_utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise Invalid.field(
            field, "must be a date (2026-03-01) or an RFC 3339 time (2026-03-01T00:00:00Z)"
        ) from None


def time_range(start: str | None, end: str | None, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
    """The range asked for, snapped to whole days of ``zone`` (``periods.snap``): default the
    last 12 calendar months up to the end of today (the current one so far), as on the
    analytics page — whole months, which the value matrix reads from its monthly counts; at
    most 5 years."""
    try:
        stop = _moment("to", end, end=True, zone=zone) if end else utcnow()
        if start:
            begin = _moment("from", start, end=False, zone=zone)
        else:
            begin = midnight(months_back(local_day(stop, zone), DEFAULT_MONTHS), zone)
    except (OverflowError, ValueError):
        raise Invalid.field("to", "is too early for a year-long default range") from None
    for field, moment in (("from", begin), ("to", stop)):
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise Invalid.field(field, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    if begin >= stop:
        raise Invalid.field("from", "must be before 'to'")
    if stop - begin > MAX_SPAN:
        raise Invalid.field("to", "the range may be at most 5 years long")
    try:
        return snap(begin, stop, zone)
    except (OverflowError, ValueError):
        message = f"must be between the years {FIRST_YEAR} and {LAST_YEAR}"
        raise Invalid.field("to", message) from None


def unit_of(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise Invalid.field("unit_id", "must be the id of a unit")
    return int(value)


def _answer(
    request: Request,
    data: dict[str, Any],
    to_csv: Callable[[dict[str, Any]], str],
    export: tuple[AsyncSession, Person, str, dict[str, Any]],
) -> Any:
    """The data, or its CSV (``Accept: text/csv``): a download, recorded in the audit log
    (``export``: the session, the caller, the view and its filters)."""
    if "text/csv" in request.headers.get("accept", ""):
        db, viewer, view, filters = export
        service.do_record_export(db, actor=viewer, view=view, filters=filters)
        return Response(to_csv(data), media_type=CSV_TYPE)
    return data


@router.get("/analytics/value-matrix", response_model=ValueMatrixOut, responses=CSV_RESPONSE)
async def get_value_matrix(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: From = None,
    to: To = None,
    unit_id: UnitId = None,
    period: Annotated[Literal["month", "week"], Query()] = "month",
) -> Any:
    """The Social Software Value Matrix over the range (6 cells: within/across/external ×
    existing/new tie, with interactions, distinct ties and shares), the stage, and the same
    period by period (the journey). Figures over fewer than 5 people are null."""
    analyst(viewer)
    begin, stop = time_range(start, to, settings.zone)
    unit = unit_of(unit_id)
    data = await queries.value_matrix(
        db, start=begin, end=stop, unit_id=unit, period=period, settings=settings
    )
    data["recommendations"] = await recommendations_for(
        db, viewer=viewer, start=begin, end=stop, unit_id=unit, settings=settings
    )
    filters = {"from": begin, "to": stop, "unit_id": unit_id, "period": period}
    export = (db, viewer, "value-matrix", filters)
    return _answer(request, data, analytics_csv.value_matrix_csv, export)


@router.get("/analytics/network", response_model=NetworkOut, responses=CSV_RESPONSE)
async def get_network(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: From = None,
    to: To = None,
    level: Annotated[
        int | None, Query(ge=0, le=10, description="Depth of the tree; default the silo level.")
    ] = None,
    unit_id: UnitId = None,
) -> Any:
    """The unit × unit matrix of interactions at a level of the tree with customers' and
    partners' organisations beside the units; per unit (units of 5 people or more) the E-I
    index, its expected value under random mixing and its interaction-weighted variant, and
    islands; the organisation's E-I and its expected value; the 20 people who bridge the
    organisation most; network breadth over the last 4 weeks of the range. With ``unit_id``:
    the interactions in which someone of that unit took part, and the bridges of that unit."""
    analyst(viewer)
    begin, stop = time_range(start, to, settings.zone)
    data = await queries.network(
        db,
        start=begin,
        end=stop,
        level=settings.silo_level if level is None else level,
        settings=settings,
        show_names=settings.analytics_show_names,
        unit_id=unit_of(unit_id),
    )
    filters = {"from": begin, "to": stop, "level": level, "unit_id": unit_id}
    export = (db, viewer, "network", filters)
    return _answer(request, data, analytics_csv.network_csv, export)


@router.get("/analytics/adoption", response_model=AdoptionOut, responses=CSV_RESPONSE)
async def get_adoption(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: From = None,
    to: To = None,
) -> Any:
    """Active people and contributors (over the range, and week by week and month by month in
    the organisation's time zone, each period marked partial while it is not over or when the
    range cuts it), participation, DAU/MAU and the Community Health Index (with the days they
    look at), the 90-9-1 split, the personas (engager, catalyst, responder, broadcaster,
    observer) and questions answered with the median time to a first answer (by members and by
    externals). Every count of 1 to 4 people is null, and so is any figure it could be worked
    out from."""
    analyst(viewer)
    begin, stop = time_range(start, to, settings.zone)
    data = await queries.adoption(db, start=begin, end=stop, settings=settings)
    export = (db, viewer, "adoption", {"from": begin, "to": stop})
    return _answer(request, data, analytics_csv.adoption_csv, export)


@router.get("/analytics/readiness", response_model=ReadinessOut, responses=CSV_RESPONSE)
async def get_readiness(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    unit_id: Annotated[
        str | None,
        Query(max_length=20, description="Only the units at the silo level in (or around) it."),
    ] = None,
    as_of: Annotated[
        str | None,
        Query(max_length=10, description="The last day of the 90 looked at; default today."),
    ] = None,
) -> Any:
    """Ready to go outward: per unit at the silo level, over the 90 days up to ``as_of`` (in
    the organisation's time zone), the share of members active, the share who helped someone
    of another silo, the answer rate and median hours to a first answer of internal
    questions, each against the thresholds in use; ``ready`` when all pass; whether the unit
    has a hybrid space, the customers and partners its people's posts name, and suggestions.
    Units of 1 to 4 members are withheld (``suppressed``)."""
    analyst(viewer)
    day = check_as_of(as_of, settings)
    unit = unit_of(unit_id)
    data = await readiness(db, settings=settings, as_of=day, unit_id=unit)
    export = (db, viewer, "readiness", {"as_of": day.isoformat(), "unit_id": unit_id})
    return _answer(request, data, analytics_csv.readiness_csv, export)


@router.put("/analytics/readiness/thresholds", response_model=ReadinessThresholdsOut)
async def put_readiness_thresholds(body: ReadinessThresholdsIn, viewer: Viewer, db: DB) -> Any:
    """Administrators: the thresholds a unit must reach to be ready (shares as fractions,
    hours for the median wait for a first answer). Others get 403."""
    analyst(viewer)
    new = await do_set_thresholds(db, actor=viewer, values=body.model_dump())
    return new.as_dict()


@router.get("/analytics/champions", response_model=ChampionsOut, responses=CSV_RESPONSE)
async def get_champions(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: From = None,
    to: To = None,
    unit_id: UnitId = None,
) -> Any:
    """The people who help others most across silos and with externals over the range:
    answers accepted by another silo or an external, replies to newcomers (first 30 days),
    first replies to an external's post. Only people who opted in to coach are named; the
    others are counted (withheld when 1 to 4)."""
    analyst(viewer)
    begin, stop = time_range(start, to, settings.zone)
    data = await champions(db, start=begin, end=stop, unit_id=unit_of(unit_id))
    filters = {"from": begin, "to": stop, "unit_id": unit_id}
    export = (db, viewer, "champions", filters)
    return _answer(request, data, analytics_csv.champions_csv, export)
