"""The Analytics page: the value matrix, the journey, who works with whom across units, the
people who bridge silos and adoption — for administrators and analysts — and its CSV downloads.

The page is drawn on the server (tables and sentences, readable without JavaScript); the same
figures travel in a JSON data island for ``static/analytics.js``, which draws the charts and,
when a filter changes, fetches ``/api/v1/analytics/…`` and redraws without a reload."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from atoll.analytics import csv as analytics_csv
from atoll.analytics import queries, service
from atoll.analytics.periods import local_day, midnight, months_back
from atoll.analytics.policy import MIN_GROUP, can_view_analytics
from atoll.http.request import DB, AppSettings
from atoll.http.templating import render
from atoll.kit.errors import Forbidden, Invalid, NotFound
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.org import service as org
from atoll.org.models import Unit
from atoll.people.deps import PageChrome, Viewer
from atoll.people.models import Person

router = APIRouter(include_in_schema=False)

MAX_DAYS = 5 * 366  # the longest range the API accepts (five years)
MAX_LEVEL = 10
FIRST_YEAR, LAST_YEAR = 1970, 2999  # as the API
PRESETS = (3, 6, 12)
DEFAULT_MONTHS = 12
SCOPES = (
    ("within", "Within a silo", "operational", "operational improvement"),
    ("across", "Across silos", "cultural", "cultural change"),
    ("external", "With external parties", "transformation", "business-model transformation"),
)
STAGE_SCOPE = {stage: scope for scope, _, stage, _ in SCOPES}
STAGE_WORDS = {stage: words for _, _, stage, words in SCOPES}
Text = Annotated[str, Query(max_length=40)]


def check_viewer(viewer: Person) -> None:
    if not can_view_analytics(viewer):
        raise Forbidden("Only administrators and analysts can open Analytics.")


@dataclass(frozen=True)
class Filters:
    """What the page shows, read from its query string: the days ``first``..``last``
    (inclusive, in the organisation's time zone ``zone``), a unit or the whole organisation,
    the journey's period and the level of the tree the network compares."""

    first: date
    last: date
    unit: Unit | None
    period: str
    level: int
    zone: tzinfo = UTC

    @property
    def start(self) -> datetime:
        return midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:  # exclusive: the midnight after the last day
        return midnight(self.last + timedelta(days=1), self.zone)

    def values(self) -> dict[str, str]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "unit_id": str(self.unit.id) if self.unit else "",
            "period": self.period,
            "level": str(self.level),
        }

    def query(self, **changes: str) -> str:
        """The page's query string for these filters (with some changed)."""
        return urlencode({**self.values(), **changes})


def _day(field: str, value: str, zone: tzinfo = UTC) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) == 7:  # a month picker's "2026-03"
            return date.fromisoformat(value + "-01")
        if len(value) == 10:
            return date.fromisoformat(value)
        return local_day(datetime.fromisoformat(value.replace("Z", "+00:00")), zone)
    except (ValueError, OverflowError):
        raise Invalid.field(field, "must be a date like 2026-03-31") from None


def _last_of_month(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _check_year(field: str, day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid.field(field, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")


async def read_filters(
    db: DB, settings: Settings, *, start: str, end: str, unit_id: str, period: str, level: str
) -> Filters:
    """Check the query string; every mistake is an ``Invalid`` naming the field."""
    today = local_day(utcnow(), settings.zone)
    last = _day("to", end, settings.zone) or today
    _check_year("to", last)
    if len(end.strip()) == 7:  # a whole month
        last = _last_of_month(last)
    first = _day("from", start, settings.zone) or months_back(last, DEFAULT_MONTHS)
    _check_year("from", first)
    if first > last:
        raise Invalid.field("from", "must be on or before the 'to' date")
    if (last - first).days > MAX_DAYS:
        raise Invalid.field("from", "the range can be at most five years long")
    if period not in ("month", "week"):
        raise Invalid.field("period", "must be 'month' or 'week'")
    try:
        depth = int(level) if level.strip() else settings.silo_level
    except ValueError:
        raise Invalid.field("level", "must be a whole number (1 for divisions, 2 …)") from None
    if not 0 <= depth <= MAX_LEVEL:
        raise Invalid.field("level", f"must be between 0 and {MAX_LEVEL}")
    unit = None
    if unit_id.strip():
        text = unit_id.strip()
        number = text.isascii() and text.isdigit() and len(text) <= 18
        unit = await db.get(Unit, int(text)) if number else None
        if unit is None:
            raise Invalid.field("unit_id", "no such unit; choose one from the list")
    return Filters(
        first=first, last=last, unit=unit, period=period, level=depth, zone=settings.zone
    )


def share_text(share: float | None) -> str:
    """22 % — or 0.4 % when small."""
    if share is None:
        return "—"
    percent = share * 100
    if percent == 0 or percent >= 10:
        return f"{math.floor(percent + 0.5)} %"  # half up, as the page's script rounds
    return f"{percent:.1f}".rstrip("0").rstrip(".") + " %"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "no answers yet"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min" if seconds >= 30 else f"{round(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def row_shares(matrix: dict[str, Any]) -> dict[str, float]:
    shares = dict.fromkeys(STAGE_SCOPE.values(), 0.0)
    for cell in matrix["cells"]:
        shares[cell["scope"]] += cell["share"] or 0.0
    return shares


def stage_sentence(matrix: dict[str, Any], name: str) -> str:
    sentence = _stage_sentence(matrix, name)
    return sentence[:1].upper() + sentence[1:]


def _stage_sentence(matrix: dict[str, Any], name: str) -> str:
    """ "Northwind is at the cultural-change stage: 22 % of interactions cross silos
    (threshold 15 %)"."""
    if matrix["suppressed"]:
        return (
            f"Figures for {name} are hidden: fewer than {MIN_GROUP} people were involved "
            "in this period."
        )
    if not matrix["total"]:
        return f"No interactions in {name} in this period."
    stage = matrix["stage"]
    shares = row_shares(matrix)
    limits = matrix["thresholds"]
    at = f"{name} is at the {STAGE_WORDS[stage].replace(' ', '-')} stage"
    if stage == "transformation":
        return (
            f"{at}: {share_text(shares['external'])} of interactions are with external parties "
            f"(threshold {share_text(limits['external'])})."
        )
    if stage == "cultural":
        return (
            f"{at}: {share_text(shares['across'])} of interactions cross silos "
            f"(threshold {share_text(limits['across'])})."
        )
    return (
        f"{at}: {share_text(shares['across'])} of interactions cross silos; cultural change "
        f"starts at {share_text(limits['across'])}."
    )


def unit_options(units: list[Unit]) -> list[dict[str, Any]]:
    """The organisation tree as an indented list (a parent before its children)."""
    return [
        {"id": str(u.id), "label": "\u00a0\u00a0\u00a0" * max(u.level - 1, 0) + u.name}
        for u in units
        if u.parent_id is not None
    ]


def unit_pairs(network: dict[str, Any]) -> list[dict[str, Any]]:
    """The heatmap's cells as rows, the busiest pair first."""
    names = {u["id"]: u["name"] or f"Unit {u['id']}" for u in network["units"]}
    pairs = [
        {
            "from_name": names[m["from_unit_id"]],
            "to_name": names[m["to_unit_id"]],
            "interactions": m["interactions"],
        }
        for m in network["matrix"]
        if m["from_unit_id"] in names and m["to_unit_id"] in names
    ]
    return sorted(pairs, key=lambda p: -p["interactions"])


def level_choices(units: list[Unit], chosen: int) -> list[tuple[int, str]]:
    """The levels of the tree below the company (and the chosen one, should it be another)."""
    deepest = max((u.level for u in units), default=1)
    return [(n, org.level_name(n)) for n in sorted({*range(1, deepest + 1), chosen})]


async def matrix_of(db: DB, settings: Settings, filters: Filters) -> dict[str, Any]:
    return await queries.value_matrix(
        db,
        start=filters.start,
        end=filters.end,
        unit_id=filters.unit.id if filters.unit else None,
        period=filters.period,
        settings=settings,
    )


async def network_of(db: DB, settings: Settings, filters: Filters) -> dict[str, Any]:
    return await queries.network(
        db,
        start=filters.start,
        end=filters.end,
        level=filters.level,
        settings=settings,
        show_names=settings.analytics_show_names,
        unit_id=filters.unit.id if filters.unit else None,
    )


async def adoption_of(db: DB, settings: Settings, filters: Filters) -> dict[str, Any]:
    return await queries.adoption(db, start=filters.start, end=filters.end, settings=settings)


VIEWS: dict[str, tuple[Any, Callable[[dict[str, Any]], str]]] = {
    "value-matrix": (matrix_of, analytics_csv.value_matrix_csv),
    "network": (network_of, analytics_csv.network_csv),
    "adoption": (adoption_of, analytics_csv.adoption_csv),
}


@router.get("/analytics", dependencies=[PageChrome])
async def analytics_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    unit_id: Text = "",
    period: Text = "month",
    level: Text = "",
) -> Response:
    check_viewer(viewer)
    units = await org.all_units(db)
    root = next((u for u in units if u.parent_id is None), None)
    ctx: dict[str, Any] = {
        "unit_options": unit_options(units),
        "levels": level_choices(units, settings.silo_level),
        "raw": {"from": start, "to": end, "unit_id": unit_id, "period": period, "level": level},
        "share_text": share_text,
        "duration_text": duration_text,
        "scopes": SCOPES,
        "stage_words": STAGE_WORDS,
        "min_group": MIN_GROUP,
    }
    try:
        filters = await read_filters(
            db, settings, start=start, end=end, unit_id=unit_id, period=period, level=level
        )
    except Invalid as error:
        ctx["error"] = error
        return render(request, "analytics/page.html", ctx, status_code=error.status)
    org_name = root.name if root else "the organisation"
    name = filters.unit.name if filters.unit else org_name
    data = jsonable_encoder(
        {
            "matrix": await matrix_of(db, settings, filters),
            "network": await network_of(db, settings, filters),
            "adoption": await adoption_of(db, settings, filters),
        }
    )
    today = local_day(utcnow(), settings.zone)
    ctx.update(
        filters=filters,
        name=name,
        org_name=org_name,
        data=data,
        sentence=stage_sentence(data["matrix"], name),
        levels=level_choices(units, filters.level),
        level_label=org.level_name(filters.level),
        pairs=unit_pairs(data["network"]),
        query=filters.query(),
        presets=[
            (f"Last {n} months", filters.query(**{"from": months_back(today, n).isoformat()}))
            for n in PRESETS
        ],
    )
    return render(request, "analytics/page.html", ctx)


@router.get("/analytics/{view}.csv")
async def analytics_csv_download(
    view: str,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    unit_id: Text = "",
    period: Text = "month",
    level: Text = "",
) -> Response:
    """One view of the page as a CSV file, with the page's filters."""
    check_viewer(viewer)
    if view not in VIEWS:
        raise NotFound("There is no such download: try value-matrix, network or adoption.")
    filters = await read_filters(
        db, settings, start=start, end=end, unit_id=unit_id, period=period, level=level
    )
    compute, to_csv = VIEWS[view]
    text = to_csv(await compute(db, settings, filters))
    service.do_record_export(db, actor=viewer, view=view, filters=filters.values())
    filename = f"atoll-{view}-{filters.first.isoformat()}-to-{filters.last.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
