"""The Analytics page: the value matrix, the journey, who works with whom across units, the
people who bridge silos and adoption — for administrators and analysts — and its CSV downloads.

The page is drawn on the server (tables and sentences, readable without JavaScript); the same
figures travel in a JSON data island for ``static/analytics.js``, which draws the charts and,
when a filter changes, fetches ``/api/v1/analytics/…`` and redraws without a reload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from atoll.analytics import csv as analytics_csv
from atoll.analytics import queries, service
from atoll.analytics.champions import champions
from atoll.analytics.pages_readiness import sections
from atoll.analytics.periods import local_day, midnight, months_back
from atoll.analytics.policy import MIN_GROUP, can_view_analytics
from atoll.analytics.readiness import readiness
from atoll.analytics.recommendations import recommendations_for
from atoll.analytics.words import (
    ADVICE_LINKS,
    SCOPES,
    STAGE_WORDS,
    apart_sentence,
    duration_text,
    network_context,
    share_text,
    stage_sentence,
    unit_options,
)
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


@dataclass(frozen=True)
class AskedFilters:
    """The filters of the page's query string, as written (``read_filters`` checks them)."""

    start: str
    end: str
    unit_id: str
    period: str
    level: str

    def query(self) -> dict[str, str]:
        return {
            "from": self.start,
            "to": self.end,
            "unit_id": self.unit_id,
            "period": self.period,
            "level": self.level,
        }


def asked_filters(
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    unit_id: Text = "",
    period: Text = "month",
    level: Text = "",
) -> AskedFilters:
    return AskedFilters(start, end, unit_id, period, level)


Asked = Annotated[AskedFilters, Depends(asked_filters)]


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


def level_choices(units: list[Unit], chosen: int) -> list[tuple[int, str]]:
    """The levels of the tree below the company (and the chosen one, should it be another)."""
    deepest = max((u.level for u in units), default=1)
    return [(n, org.level_name(n)) for n in sorted({*range(1, deepest + 1), chosen})]


async def matrix_of(
    db: DB,
    settings: Settings,
    filters: Filters,
    viewer: Person | None = None,
    network: dict[str, Any] | None = None,
    ready: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The value matrix, with what to do next for ``viewer`` (``network``: the network at the
    silo level, ``ready``: readiness on the range's last day, if the caller has them)."""
    unit_id = filters.unit.id if filters.unit else None
    data = await queries.value_matrix(
        db,
        start=filters.start,
        end=filters.end,
        unit_id=unit_id,
        period=filters.period,
        settings=settings,
    )
    if viewer is not None:
        data["recommendations"] = await recommendations_for(
            db,
            viewer=viewer,
            start=filters.start,
            end=filters.end,
            unit_id=unit_id,
            settings=settings,
            network=network,
            ready=ready,
        )
    return data


async def network_of(
    db: DB, settings: Settings, filters: Filters, _viewer: Person | None = None
) -> dict[str, Any]:
    return await queries.network(
        db,
        start=filters.start,
        end=filters.end,
        level=filters.level,
        settings=settings,
        show_names=settings.analytics_show_names,
        unit_id=filters.unit.id if filters.unit else None,
    )


async def adoption_of(
    db: DB, settings: Settings, filters: Filters, _viewer: Person | None = None
) -> dict[str, Any]:
    return await queries.adoption(db, start=filters.start, end=filters.end, settings=settings)


async def readiness_of(
    db: DB, settings: Settings, filters: Filters, _viewer: Person | None = None
) -> dict[str, Any]:
    """Ready to go outward on the range's last day."""
    unit_id = filters.unit.id if filters.unit else None
    return await readiness(db, settings=settings, as_of=filters.last, unit_id=unit_id)


async def champions_of(
    db: DB, settings: Settings, filters: Filters, _viewer: Person | None = None
) -> dict[str, Any]:
    unit_id = filters.unit.id if filters.unit else None
    return await champions(db, start=filters.start, end=filters.end, unit_id=unit_id)


VIEWS: dict[str, tuple[Any, Callable[[dict[str, Any]], str]]] = {
    "value-matrix": (matrix_of, analytics_csv.value_matrix_csv),
    "network": (network_of, analytics_csv.network_csv),
    "adoption": (adoption_of, analytics_csv.adoption_csv),
    "readiness": (readiness_of, analytics_csv.readiness_csv),
    "champions": (champions_of, analytics_csv.champions_csv),
}


async def page_views(
    db: DB,
    settings: Settings,
    filters: Filters,
    viewer: Person,
    ready: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The three views of the page, as JSON (the recommendations reuse the network when it is
    at the silo level, and ``ready``, readiness on the range's last day, when given)."""
    network = await network_of(db, settings, filters)
    silo_network = network if filters.level == settings.silo_level else None
    return jsonable_encoder(
        {
            "matrix": await matrix_of(db, settings, filters, viewer, silo_network, ready),
            "network": network,
            "adoption": await adoption_of(db, settings, filters),
        }
    )


@router.get("/analytics", dependencies=[PageChrome])
async def analytics_page(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    asked: Asked,
) -> Response:
    check_viewer(viewer)
    units = await org.all_units(db)
    root = next((u for u in units if u.parent_id is None), None)
    ctx: dict[str, Any] = {
        "unit_options": unit_options(units),
        "levels": level_choices(units, settings.silo_level),
        "raw": asked.query(),
        "share_text": share_text,
        "duration_text": duration_text,
        "scopes": SCOPES,
        "stage_words": STAGE_WORDS,
        "min_group": MIN_GROUP,
        "advice_links": ADVICE_LINKS,
    }
    try:
        filters = await read_filters(db, settings, **asdict(asked))
    except Invalid as error:
        ctx["error"] = error
        return render(request, "analytics/page.html", ctx, status_code=error.status)
    org_name = root.name if root else "the organisation"
    name = filters.unit.name if filters.unit else org_name
    ready = await readiness_of(db, settings, filters)  # for what to do next and its section
    data = await page_views(db, settings, filters, viewer, ready)
    today = local_day(utcnow(), settings.zone)
    ctx.update(
        timezone=settings.timezone,
        future=filters.start > utcnow(),
        apart=apart_sentence(data["matrix"]),
        filters=filters,
        name=name,
        org_name=org_name,
        data=data,
        sentence=stage_sentence(data["matrix"], name),
        levels=level_choices(units, filters.level),
        level_label=org.level_name(filters.level),
        **network_context(data["network"], name),
        query=filters.query(),
        presets=[
            (f"Last {n} months", filters.query(**{"from": months_back(today, n).isoformat()}))
            for n in PRESETS
        ],
        level_label_silo=org.level_name(settings.silo_level),
        **await sections(db, settings, viewer, filters=filters, ready=ready),
    )
    return render(request, "analytics/page.html", ctx)


@router.get("/analytics/sections")
async def analytics_sections(
    request: Request,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    asked: Asked,
) -> Response:
    """The page's sections drawn on the server (ready to go outward, champions) for other
    filters: what analytics.js swaps in when the filters change without a reload."""
    check_viewer(viewer)
    filters = await read_filters(db, settings, **asdict(asked))
    ctx = {
        "filters": filters,
        "query": filters.query(),
        "min_group": MIN_GROUP,
        "level_label_silo": org.level_name(settings.silo_level),
        **await sections(db, settings, viewer, filters=filters),
    }
    return render(request, "analytics/_sections.html", ctx)


@router.get("/analytics/{view}.csv")
async def analytics_csv_download(
    view: str,
    viewer: Viewer,
    db: DB,
    settings: AppSettings,
    asked: Asked,
) -> Response:
    """One view of the page as a CSV file, with the page's filters."""
    check_viewer(viewer)
    if view not in VIEWS:
        raise NotFound(
            "There is no such download: try value-matrix, network, adoption, readiness or "
            "champions."
        )
    filters = await read_filters(db, settings, **asdict(asked))
    compute, to_csv = VIEWS[view]
    text = to_csv(await compute(db, settings, filters, viewer))
    service.do_record_export(db, actor=viewer, view=view, filters=filters.values())
    filename = f"atoll-{view}-{filters.first.isoformat()}-to-{filters.last.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
