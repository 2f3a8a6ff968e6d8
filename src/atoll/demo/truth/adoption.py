"""Adoption by THE RULES, from the plan's facts: the days each person used Atoll (the
activity rows the generator writes) and every act.

- *active*: a member who used Atoll on a day of the range or acted in the log in it;
  *contributors* posted, commented, replied or reacted in it.
- *DAU/MAU*: over the 30 days ending with the range, the average number of members active
  per day divided by the members active in those 30 days.
- *health index*: members active in the last 30 days of the range divided by those active in
  the 12 months ending with it.
- *the 90-9-1 split*: regular contributors contributed in at least half of the ISO weeks the
  range covers (a range within one week: on at least half of its days); occasional, the
  other contributors; readers, the active members who did not contribute.
- *personas*, among the active members, from what each gave (posts P; responses G: comments,
  replies, reactions, votes, mentions, accepted answers, wiki co-edits toward others) and
  received (R: the same toward them): observer gave nothing; catalyst received at least
  twice what they gave; otherwise, having given at least twice what they received,
  broadcaster when P ≥ G, else responder; everyone else an engager."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from atoll.demo.plan import Plan
from atoll.demo.truth import calendar
from atoll.demo.truth.rules import Timeline

CONTRIBUTIONS = ("post", "comment", "reply", "reaction")
RESPONSES = ("comment", "reply", "reaction", "vote", "mention", "accept", "wiki_edit")
MONTH_DAYS = 30
PERSONAS = ("engager", "catalyst", "responder", "broadcaster", "observer")


def active_days(plan: Plan, log: Timeline, zone: tzinfo) -> dict[date, set[int]]:
    """Each day, the members who used Atoll or acted in the log on it."""
    out: dict[date, set[int]] = defaultdict(set)
    for person, day in plan.days:
        if plan.kinds[person] == "member":
            out[day].add(person)
    for fact in log.facts:
        if plan.kinds[fact.act.actor] == "member":
            out[calendar.local_day(fact.at, zone)].add(fact.act.actor)
    return out


def _union(by_day: dict[date, set[int]], days: list[date]) -> set[int]:
    out: set[int] = set()
    for day in days:
        out |= by_day.get(day, set())
    return out


def year_back(day: date) -> date:
    """The day twelve calendar months before (the 29th of February: the 28th... or 1st)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def persona(posts: int, responses: int, received: int) -> str:
    given = posts + responses
    if given == 0:
        return "observer"
    if received >= 2 * given:
        return "catalyst"
    if given >= 2 * received:
        return "broadcaster" if posts >= responses else "responder"
    return "engager"


def split(
    plan: Plan, log: Timeline, start: datetime, end: datetime, zone: tzinfo, active: set[int]
) -> dict[str, int]:
    weeks = calendar.spans(start, end, "week", zone)
    one_week = len(weeks) == 1
    bar = len(calendar.days(start, end, zone)) if one_week else len(weeks)
    marks: dict[int, set[Any]] = defaultdict(set)
    for fact in log.between(start, end):
        act = fact.act
        if plan.kinds[act.actor] == "member" and act.kind in CONTRIBUTIONS:
            day = calendar.local_day(act.at, zone)
            marks[act.actor].add(day if one_week else day - timedelta(days=day.weekday()))
    regular = sum(1 for seen in marks.values() if 2 * len(seen) >= bar)
    return {
        "regular": regular,
        "occasional": len(marks) - regular,
        "readers": len(active - set(marks)),
    }


def personas(
    plan: Plan, log: Timeline, start: datetime, end: datetime, active: set[int]
) -> dict[str, int]:
    posts: dict[int, int] = defaultdict(int)
    given: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for fact in log.between(start, end):
        act = fact.act
        if act.target is None:
            posts[act.actor] += act.kind == "post"
        elif act.kind in RESPONSES:
            given[act.actor] += 1
            received[act.target] += 1
    out = dict.fromkeys(PERSONAS, 0)
    for person in active:
        out[persona(posts[person], given[person], received[person])] += 1
    return out


def adoption(
    plan: Plan, log: Timeline, *, start: datetime, end: datetime, zone: tzinfo
) -> dict[str, Any]:
    """The adoption figures over [start, end), snapped to whole days."""
    start, end = calendar.snap(start, end, zone)
    by_day = active_days(plan, log, zone)
    active = _union(by_day, calendar.days(start, end, zone))
    contributors = {
        f.act.actor
        for f in log.between(start, end)
        if f.act.kind in CONTRIBUTIONS and plan.kinds[f.act.actor] == "member"
    }
    last_day = calendar.local_day(end - timedelta(microseconds=1), zone)
    month = [last_day - timedelta(days=n) for n in range(MONTH_DAYS)]
    monthly = _union(by_day, month)
    daily = sum(len(by_day.get(day, ())) for day in month) / MONTH_DAYS
    year_start = calendar.midnight(year_back(last_day + timedelta(days=1)), zone)
    yearly = _union(by_day, calendar.days(year_start, end, zone))
    return {
        "from": start,
        "to": end,
        "active": len(active),
        "contributors": len(contributors),
        "split": split(plan, log, start, end, zone, active),
        "personas": personas(plan, log, start, end, active),
        "dau_mau": daily / len(monthly) if monthly else None,
        "health_index": len(monthly) / len(yearly) if yearly else None,
        "active_30_days": len(monthly),
        "active_12_months": len(yearly),
        "questions": questions(plan, start, end),
    }


def questions(plan: Plan, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Questions asked in [start, end) by members and by externals, and how many of them
    someone other than the asker commented on."""
    out = {kind: {"asked": 0, "answered": 0, "askers": 0} for kind in ("member", "external")}
    askers: dict[str, set[int]] = defaultdict(set)
    for q in plan.questions:
        if start <= q.at < end:
            kind = plan.kinds[q.author]
            out[kind]["asked"] += 1
            out[kind]["answered"] += q.answered
            askers[kind].add(q.author)
    for kind, people in askers.items():
        out[kind]["askers"] = len(people)
    return {"by_members": out["member"], "by_externals": out["external"]}
