"""The analytics page's "Ready to go outward" and "Champions" sections, and the form with
which an administrator changes the readiness thresholds (percentages and hours on the page,
fractions in the database and the API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from atoll.analytics.champions import champions
from atoll.analytics.policy import can_view_analytics
from atoll.analytics.readiness import readiness
from atoll.analytics.readiness_thresholds import do_set_thresholds, thresholds
from atoll.http.request import DB, AppSettings, discard_changes
from atoll.http.templating import render
from atoll.kit.errors import Forbidden, Invalid
from atoll.kit.settings import Settings
from atoll.people.deps import Form, PageChrome, Viewer
from atoll.people.models import Person
from atoll.people.policy import is_admin

router = APIRouter(include_in_schema=False)

SHARES = ("active_share", "across_share", "answer_rate")
FIELDS = (*SHARES, "first_answer_hours")
LABELS = {
    "active_share": "Members active",
    "across_share": "Helped across silos",
    "answer_rate": "Internal questions answered",
    "first_answer_hours": "Median time to a first answer",
}


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


def hours_text(hours: float | None) -> str:
    if hours is None:
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


async def sections(
    db: DB, settings: Settings, viewer: Person, *, filters: Any, ready: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The two sections' context for the page's filters: readiness on its last day (``ready``,
    when the caller has it), champions over its range, both for its unit."""
    unit_id = filters.unit.id if filters.unit else None
    if ready is None:
        ready = await readiness(db, settings=settings, as_of=filters.last, unit_id=unit_id)
    return {
        "ready": ready,
        "champions": await champions(db, start=filters.start, end=filters.end, unit_id=unit_id),
        "may_set_thresholds": is_admin(viewer),
        "percent": percent,
        "hours_text": hours_text,
        "readiness_labels": LABELS,
    }


def _read(form: dict[str, str]) -> dict[str, Any]:
    """The form's values: shares as percentages (0 to 100), the wait in hours."""
    values: dict[str, Any] = {}
    for name in FIELDS:
        text = form.get(name, "").strip().replace(",", ".").rstrip("%").strip()
        try:
            number = float(text)
        except ValueError:
            raise Invalid.field(name, f"{LABELS[name]}: write a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise Invalid.field(name, f"{LABELS[name]}: write a number")
        if name in SHARES:
            if not 0 <= number <= 100:
                raise Invalid.field(name, f"{LABELS[name]}: a percentage from 0 to 100")
            number /= 100
        values[name] = number
    return values


@router.post("/analytics/readiness/thresholds", dependencies=[PageChrome])
async def set_thresholds(
    request: Request, form: Form, viewer: Viewer, db: DB, settings: AppSettings
) -> Response:
    if not can_view_analytics(viewer) or not is_admin(viewer):
        raise Forbidden("Only administrators can change the readiness thresholds.")
    back = {k: form.get(k, "") for k in ("from", "to", "unit_id", "period", "level")}
    try:
        await do_set_thresholds(db, actor=viewer, values=_read(form))
    except Invalid as error:
        await discard_changes(db, request)
        current = (await thresholds(db)).as_dict()
        ctx = {
            "error": error,
            "form": form,
            "current": current,
            "labels": LABELS,
            "shares": SHARES,
            "back": urlencode(back),
        }
        return render(request, "analytics/thresholds.html", ctx, status_code=error.status)
    return RedirectResponse(f"/analytics?{urlencode(back)}#readiness", status_code=303)
