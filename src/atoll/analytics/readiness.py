"""Ready to go outward: for each unit at the silo level (``ATOLL_SILO_LEVEL``), whether its
people are at home inside — over the 90 days up to a day (``as_of``, default today, in the
organisation's time zone ``ATOLL_TIMEZONE``) — against the thresholds an administrator sets
(readiness_thresholds.py; what each count is: readiness_counts.py):

- ``active_share``: the unit's members who were active ÷ its members;
- ``across_share``: those who helped someone of another silo (a comment, a reply or a wiki
  co-edit toward them) ÷ its members;
- ``answer_rate``: the unit's internal questions answered ÷ asked (none asked: no rate,
  and the check fails — there is no question-and-answer habit yet);
- ``time_to_first_answer_hours``: the median wait for a first answer, over those answered.

A unit is ``ready`` when all four reach their thresholds (shares at or above, the median wait
at or below). Suggestions: a ready unit without a hybrid space is told to open one with the
customers and partners its people's posts name; a unit not ready is told what would help.

The privacy floor: a unit of 1 to 4 members is withheld (``suppressed``, every figure null);
its answer figures are withheld when 1 to 4 of its people asked (the checks still use them).
Members are the unit's people now, also when ``as_of`` lies in the past."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.floor import small
from atoll.analytics.periods import local_day, midnight
from atoll.analytics.policy import MIN_GROUP
from atoll.analytics.readiness_counts import UnitCounts, Window, count_units
from atoll.analytics.readiness_thresholds import Thresholds, thresholds
from atoll.analytics.service import silos_around
from atoll.kit.errors import Invalid, NotFound
from atoll.kit.settings import Settings
from atoll.kit.time import rfc3339, utcnow
from atoll.org.models import Unit

DAYS = 90
ORGANIZATIONS = 3  # named in a suggestion
LEAST = 2  # silos named as the ones a unit works least with
CHECKS = ("active_share", "across_share", "answer_rate", "time_to_first_answer_hours")


def window_of(as_of: date, settings: Settings) -> Window:
    first = as_of - timedelta(days=DAYS - 1)
    zone = settings.zone
    return Window(first, as_of, midnight(first, zone), midnight(as_of + timedelta(days=1), zone))


def check_as_of(value: str | None, settings: Settings) -> date:
    """A date (2026-03-31); default today in the organisation's time zone."""
    if value is None or not value.strip():
        return local_day(utcnow(), settings.zone)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid.field("as_of", "must be a date like 2026-03-31") from None
    if not 1970 <= day.year <= 2999:
        raise Invalid.field("as_of", "must be between the years 1970 and 2999")
    return day


async def _silos(session: AsyncSession, silos: list[Unit], unit_id: int | None) -> list[Unit]:
    """The units at the silo level, all or those of the unit asked for (at, inside or around
    it); an unknown unit is a 404."""
    if unit_id is None:
        return silos
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("There is no such unit.")
    return silos_around(silos, unit)


def passes(figures: dict[str, Any], th: Thresholds, *, askers: int) -> dict[str, bool]:
    """Each check. The two of questions need a habit of at least ``MIN_GROUP`` people asking
    — so that their figures, withheld below it, are never told by a tick either."""
    rate, wait = figures["answer_rate"], figures["time_to_first_answer_hours"]
    habit = askers >= MIN_GROUP
    return {
        "active_share": figures["active_share"] >= th.active_share,
        "across_share": figures["across_share"] >= th.across_share,
        "answer_rate": habit and rate is not None and rate >= th.answer_rate,
        "time_to_first_answer_hours": habit and wait is not None and wait <= th.first_answer_hours,
    }


def figures_of(c: UnitCounts) -> dict[str, Any]:
    """The unit's figures before the floor."""
    members = len(c.members)
    return {
        "members": members,
        "active_share": len(c.active) / members if members else 0.0,
        "across_share": len(c.helped) / members if members else 0.0,
        "answer_rate": len(c.waits) / c.asked if c.asked else None,
        "time_to_first_answer_hours": round(median(c.waits), 4) if c.waits else None,
        "questions": c.asked,
    }


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def suggestions(
    c: UnitCounts, checks: dict[str, bool], names: dict[int, str], shown: set[int]
) -> list[str]:
    """What to do next for a unit (``names``: every silo's name; ``shown``: the silos whose
    figures are shown, among which the least-worked-with are named)."""
    if all(checks.values()):
        if c.hybrid:
            return []
        talked = [name for name, _ in sorted(c.organizations.items(), key=lambda x: (-x[1], x[0]))]
        if talked:
            who = _names(talked[:ORGANIZATIONS])
            return [f"Open a hybrid space with {who}: {c.unit.name} already talks about them."]
        return [f"Open a hybrid space with a customer or partner {c.unit.name} works with."]
    out = []
    if not checks["active_share"]:
        out.append(
            f"Bring more of {c.unit.name} in: share the team's news in its unit space and "
            "invite those who have not come yet."
        )
    if not checks["across_share"]:
        others = sorted((s for s in shown if s != c.unit.id), key=lambda s: (c.across_with[s], s))
        least = [names[s] for s in others[:LEAST]]
        spans = f" and {_names(least)}, the units it works least with" if least else ""
        out.append(f"Start a community that spans {c.unit.name}{spans}.")
    if not (checks["answer_rate"] and checks["time_to_first_answer_hours"]):
        out.append(
            "Build a question-and-answer habit: ask questions in the team space, and answer "
            "each other's within a day."
        )
    return out


def unit_row(
    c: UnitCounts, th: Thresholds, names: dict[int, str], shown: set[int]
) -> dict[str, Any]:
    base = {"unit_id": str(c.unit.id), "unit_name": c.unit.name}
    if small(len(c.members)):
        empty = dict.fromkeys(("members", *CHECKS, "questions", "ready", "has_hybrid_space"))
        return (
            base
            | empty
            | {
                "organizations": [],
                "passes": None,
                "suppressed": True,
                "suggestions": [],
            }
        )
    figures = figures_of(c)
    checks = passes(figures, th, askers=len(c.askers))
    if small(len(c.askers)):
        figures |= {"answer_rate": None, "time_to_first_answer_hours": None, "questions": None}
    ranked = sorted(c.organizations.items(), key=lambda x: (-x[1], x[0]))
    return (
        base
        | figures
        | {
            "ready": bool(c.members) and all(checks.values()),
            "passes": checks,
            "has_hybrid_space": c.hybrid,
            "organizations": [name for name, _ in ranked],
            "suppressed": False,
            "suggestions": suggestions(c, checks, names, shown) if c.members else [],
        }
    )


async def readiness(
    session: AsyncSession,
    *,
    settings: Settings,
    as_of: date,
    unit_id: int | None = None,
) -> dict[str, Any]:
    """Each unit at the silo level (all, or those of ``unit_id``) over the 90 days up to
    ``as_of``, with the thresholds in use (see the module)."""
    window = window_of(as_of, settings)
    level = settings.silo_level
    every = list(await session.scalars(select(Unit).where(Unit.level == level).order_by(Unit.path)))
    silos = await _silos(session, every, unit_id)
    th = await thresholds(session)
    counts = await count_units(session, silos=every, level=level, window=window)
    names = {u.id: u.name for u in every}
    shown = {u for u, c in counts.items() if not small(len(c.members)) and c.members}
    return {
        "as_of": as_of.isoformat(),
        "from": rfc3339(window.start),
        "to": rfc3339(window.end),
        "days": DAYS,
        "level": level,
        "thresholds": th.as_dict(),
        "units": [unit_row(counts[u.id], th, names, shown) for u in silos],
    }
