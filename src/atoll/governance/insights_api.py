"""Space analytics JSON API: ``GET /api/v1/spaces/{id}/analytics`` for the space's owners and
moderators, administrators and analysts; CSV with ``Accept: text/csv``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from atoll.governance import space_analytics
from atoll.governance.insights_schemas import SpaceAnalyticsOut
from atoll.http.idempotency import IdempotentRoute
from atoll.http.request import DB
from atoll.people.deps import Viewer

router = APIRouter(tags=["governance"], route_class=IdempotentRoute)

CSV_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
Day = Annotated[
    str | None,
    Query(max_length=40, description="A date (2026-03-01) or an RFC 3339 time (its UTC day)."),
]


@router.get(
    "/spaces/{space_id}/analytics", response_model=SpaceAnalyticsOut, responses=CSV_RESPONSE
)
async def get_space_analytics(
    request: Request,
    space_id: str,
    viewer: Viewer,
    db: DB,
    start: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
) -> Any:
    """The space's active people, posts, comments, questions asked and answered, median time
    to a first answer, externals' share, and a series by day (up to 31 days) or ISO week. The
    range is whole UTC days, ``from`` to ``to`` included (default the last 90 days); a figure
    about 1 to 4 people is null with ``withheld`` true. 404 for a space the caller may not
    know, 403 for anyone but its owners and moderators, administrators and analysts; 422 when
    ``from`` is after ``to``."""
    access = await space_analytics.access_space_insights(db, viewer=viewer, space_id=space_id)
    first, last = space_analytics.days_of(start, to)
    data = await space_analytics.space_analytics(db, access=access, first=first, last=last)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(space_analytics.insights_csv(data), media_type=CSV_TYPE)
    return data
