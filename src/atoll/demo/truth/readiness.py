"""Ready to go outward, by THE RULES (README, Analytics → Ready to go outward), from the
plan's facts: for each unit at the silo level, over the 90 days up to a day ``as_of`` of the
organisation's time zone (from the midnight 89 days before it to the midnight after it):

- members: the members whose unit (at the end of the history: now) is the unit or below;
- active: used Atoll on a day of the window, or acted in it;
- helped across: a comment, a reply or a wiki co-edit toward someone of another silo;
- internal questions: asked in the window by a member in a unit space, a community or a
  situation room; answered when someone other than the asker commented before the window
  ends; the median hours to the first such comment (rounded to 4 places);
- a hybrid space: one opened before the window ends that a member owns;
- organisations: the customers' and partners' names the members' posts of the window
  contain (case apart), by how many posts name each.

Ready: active and helped shares at or above their thresholds; at least 5 members asked
questions (a question-and-answer habit), the answer rate at or above its threshold and the
median wait at or below its own."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from statistics import median
from typing import Any

from atoll.demo.plan import Plan, PlanQuestion
from atoll.demo.truth import calendar
from atoll.demo.truth.rules import Timeline, ancestor

DAYS = 90
HABIT = 5  # people asking, for the question checks to pass
HELP = ("comment", "reply", "wiki_edit")
INSIDE = ("unit", "community", "situation")


@dataclass(frozen=True)
class Bar:
    active_share: float = 0.6
    across_share: float = 0.2
    answer_rate: float = 0.7
    first_answer_hours: float = 48.0


def _members(plan: Plan) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {
        u: set() for u, (_, lvl) in plan.units.items() if lvl == plan.silo_level
    }
    for person, months in plan.unit_by_month.items():
        silo = ancestor(plan, months[-1], plan.silo_level)
        if silo is not None:
            out[silo].add(person)
    return out


def _asked(
    plan: Plan, silo_of: dict[int, int], start: datetime, end: datetime
) -> dict[int, list[PlanQuestion]]:
    """The internal questions of [start, end), by the asker's silo."""
    out: dict[int, list[PlanQuestion]] = defaultdict(list)
    for q in plan.questions:
        if start <= q.at < end and q.author in silo_of and plan.spaces[q.space].kind in INSIDE:
            out[silo_of[q.author]].append(q)
    return out


def _talk(
    plan: Plan, silo_of: dict[int, int], start: datetime, end: datetime
) -> dict[int, Counter[str]]:
    """How many posts of [start, end) by each silo's members name each organisation."""
    names = sorted({o for p, o in plan.organizations.items() if o and plan.kinds[p] == "external"})
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for post in plan.talk:
        if start <= post.at < end and post.author in silo_of:
            text = post.text.lower()
            out[silo_of[post.author]].update(n for n in names if n.lower() in text)
    return out


def readiness(
    plan: Plan, log: Timeline, *, as_of: date, zone: tzinfo, bar: Bar
) -> dict[int, dict[str, Any]]:
    """Each unit at the silo level: its raw figures (no privacy floor) and whether it is
    ready."""
    first = as_of - timedelta(days=DAYS - 1)
    start, end = calendar.midnight(first, zone), calendar.midnight(as_of + timedelta(days=1), zone)
    facts = log.between(start, end)
    users = {p for p, d in plan.days if first <= d <= as_of} | {f.act.actor for f in facts}
    helpers = {f.act.actor for f in facts if f.scope == "across" and f.act.kind in HELP}
    silos = _members(plan)
    silo_of = {person: silo for silo, members in silos.items() for person in members}
    asked, talk = _asked(plan, silo_of, start, end), _talk(plan, silo_of, start, end)
    owners = {
        silo_of[o]
        for s in plan.spaces.values()
        if s.kind == "hybrid" and s.created_at < end
        for o in s.owners
        if o in silo_of
    }
    out = {}
    for silo, members in silos.items():
        questions = asked[silo]
        waits = []
        for q in questions:
            before = [a for a in q.answers if a < end]
            if before:
                waits.append((min(before) - q.at).total_seconds() / 3600)
        n = len(members)
        active = len(users & members) / n if n else 0.0
        across = len(helpers & members) / n if n else 0.0
        rate = len(waits) / len(questions) if questions else None
        wait = round(median(waits), 4) if waits else None
        ready = bool(n) and active >= bar.active_share and across >= bar.across_share
        askers = len({q.author for q in questions})
        ready = ready and askers >= HABIT  # a question-and-answer habit: 5 people asking
        ready = ready and rate is not None and rate >= bar.answer_rate
        ready = ready and wait is not None and wait <= bar.first_answer_hours
        out[silo] = {
            "members": n,
            "active_share": active,
            "across_share": across,
            "answer_rate": rate,
            "time_to_first_answer_hours": wait,
            "questions": len(questions),
            "askers": askers,
            "has_hybrid_space": silo in owners,
            "organizations": [
                o for o, _ in sorted(talk[silo].items(), key=lambda x: (-x[1], x[0]))
            ],
            "ready": ready,
        }
    return out
