"""The Insights tab of a space (``/spaces/{slug}/insights``): the space analytics as figure
cards, a chart of the series (ECharts, drawn by ``static/insights.js`` from a JSON island),
a period picker and the CSV download. Composed here, above the space page it extends: the
space's header and tabs come from the spaces page, the follow button from conversations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from atoll.analytics.pages import duration_text, share_text
from atoll.conversations import follows
from atoll.governance import space_analytics
from atoll.http.request import DB
from atoll.http.templating import render
from atoll.kit.errors import Invalid
from atoll.kit.time import utcnow
from atoll.people.deps import PageChrome, Viewer
from atoll.spaces import pages as space_pages
from atoll.spaces import service as spaces

router = APIRouter(include_in_schema=False)

Day = Annotated[str | None, Query(alias="from", max_length=40)]
To = Annotated[str | None, Query(max_length=40)]
PRESETS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last year", 365))
CARDS = (
    ("active_people", "Active people"),
    ("posts", "Posts"),
    ("comments", "Comments"),
    ("questions_asked", "Questions asked"),
    ("questions_answered", "Questions answered"),
)


def _presets() -> list[tuple[str, str]]:
    today = utcnow().date()
    return [
        (label, urlencode({"from": (today - timedelta(days=days - 1)).isoformat()}))
        for label, days in PRESETS
    ]


@router.get("/spaces/{slug}/insights", dependencies=[PageChrome])
async def insights_page(
    request: Request, slug: str, viewer: Viewer, db: DB, start: Day = None, to: To = None
) -> Response:
    """The space's Insights tab: its owners and moderators, administrators and analysts."""
    access, ctx = await space_pages.space_page_context(
        db, viewer=viewer, slug=slug, tab="about", cursor=None
    )
    space_analytics.check_insights(access)
    ctx["tab"] = "insights"
    ctx["following"] = await follows.is_following(
        db, viewer=viewer, target_type="space", target_id=access.space.id
    )
    ctx.update(
        presets=_presets(),
        cards=CARDS,
        share_text=share_text,
        duration_text=duration_text,
        raw={"from": start or "", "to": to or ""},
    )
    status = 200
    try:
        first, last = space_analytics.days_of(start, to)
    except Invalid as error:
        ctx["insights_error"], status = error.detail, error.status
    else:
        data = await space_analytics.space_analytics(db, access=access, first=first, last=last)
        ctx.update(insights=data, query=urlencode({"from": data["from"], "to": data["to"]}))
    return render(request, "spaces/space.html", ctx, status_code=status)


@router.get("/spaces/{slug}/insights.csv")
async def insights_csv(
    slug: str, viewer: Viewer, db: DB, start: Day = None, to: To = None
) -> Response:
    """The Insights tab's figures as CSV (the API's ``Accept: text/csv`` answer)."""
    access = await spaces.access_space_by_slug(db, viewer=viewer, slug=slug)
    space_analytics.check_insights(access)
    first, last = space_analytics.days_of(start, to)
    data: dict[str, Any] = await space_analytics.space_analytics(
        db, access=access, first=first, last=last
    )
    name = f"{access.space.slug}-insights-{data['from']}-{data['to']}.csv"
    return Response(
        space_analytics.insights_csv(data),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
