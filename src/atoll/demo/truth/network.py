"""The network at the silo level by THE RULES, from the plan's facts.

People are joined by their person-to-person interactions (any scope), each member placed in
the silo they were in at the time (a person who moved counts in each silo for what they did
while there); an external stands in their organisation. Over a range:

- per silo: *people* (its members who worked with another member placed in a silo),
  *interactions within* (both sides in it) and *across* (the other side in another silo),
  *internal ties* and *external ties* (a tie: a pair of people, each in their silo, with at
  least ``min_interactions`` interactions in the range), Krackhardt's E-I over those ties,
  its expected value under random mixing ``(N − 2n + 1) / (N − 1)`` for a silo of n people
  among the N people of the silos, the E-I over the ties weighted by their interactions, and
  whether it is an island (no external tie). Silos of fewer than 5 people are not shown.
- the organisation's E-I over all ties between members in silos (E across, I within) and its
  expected value ``(pairs across − pairs within) / all pairs`` for the silos' sizes;
- each customer's or partner's organisation: its people who took part, and its
  interactions with each silo;
- breadth: for each member in a silo who interacted in the last 4 weeks of the range, the
  number of other silos with whose people they had at least 2 interactions in those weeks,
  as a distribution 0, 1, 2, 3, 4, 5 or more."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from atoll.demo.plan import Plan
from atoll.demo.truth import calendar
from atoll.demo.truth.rules import Fact, Timeline

MIN_GROUP = 5
BREADTH_DAYS = 28
BUCKETS = ("0", "1", "2", "3", "4", "5+")

Side = tuple[int, int]  # (person, silo)
Node = tuple[str, Any] | None  # ("silo", id), ("org", name), or None (a member in no silo)


def _sides(plan: Plan, fact: Fact) -> tuple[Node, Node]:
    """Each side's node: ("silo", id), ("org", name), or None (a member in no silo)."""
    out: list[Node] = []
    for person, silo in ((fact.act.actor, fact.actor_silo), (fact.act.target, fact.target_silo)):
        assert person is not None
        if plan.kinds[person] == "external":
            out.append(("org", plan.organizations[person]))
        else:
            out.append(("silo", silo) if silo is not None else None)
    return out[0], out[1]


def _ei(external: int, internal: int) -> float | None:
    return (external - internal) / (external + internal) if external + internal else None


@dataclass
class _Silos:
    people: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    pairs: dict[tuple[Side, Side], int] = field(default_factory=lambda: defaultdict(int))
    guests: list[tuple[str, int, int]] = field(default_factory=list)  # (org, guest, silo)


def _gather(plan: Plan, log: Timeline, start: datetime, end: datetime) -> _Silos:
    """Who was placed in which silo, the interactions of each pair of placed members, and
    each guest's interactions with placed members."""
    out = _Silos()
    for fact in log.between(start, end):
        if fact.scope is None:
            continue
        a, b = _sides(plan, fact)
        actor, target = fact.act.actor, fact.act.target
        assert target is not None
        if a is not None and b is not None and a[0] == "silo" and b[0] == "silo":
            # A silo's people: its members who worked with another member placed in a silo.
            out.people[a[1]].add(actor)
            out.people[b[1]].add(target)
            x: Side = (actor, a[1])
            y: Side = (target, b[1])
            out.pairs[(min(x, y), max(x, y))] += 1
        elif a is not None and b is not None and {a[0], b[0]} == {"silo", "org"}:
            guest, org, silo = (actor, a[1], b[1]) if a[0] == "org" else (target, b[1], a[1])
            out.guests.append((org, guest, silo))
    return out


def silos(
    plan: Plan, log: Timeline, start: datetime, end: datetime, min_interactions: int
) -> dict[str, Any]:
    found = _gather(plan, log, start, end)
    # Silos under the floor are left out of every figure (their people, interactions and
    # ties, and the network's size N), so that no subtraction gives them back.
    shown = {silo: people for silo, people in found.people.items() if len(people) >= MIN_GROUP}
    within: dict[int, int] = defaultdict(int)
    across: dict[int, int] = defaultdict(int)
    internal: dict[int, int] = defaultdict(int)
    external: dict[int, int] = defaultdict(int)
    # The weighted E-I counts the ties' interactions (a tie weighs what it carried).
    weight_in: dict[int, int] = defaultdict(int)
    weight_out: dict[int, int] = defaultdict(int)
    for (x, y), n in found.pairs.items():
        if x[1] not in shown or y[1] not in shown:
            continue
        tie = n >= min_interactions
        if x[1] == y[1]:
            within[x[1]] += n
            internal[x[1]] += tie
            weight_in[x[1]] += n if tie else 0
            continue
        for silo in (x[1], y[1]):
            across[silo] += n
            external[silo] += tie
            weight_out[silo] += n if tie else 0
    total = sum(len(people) for people in shown.values())
    units = {}
    for silo, people in shown.items():
        n = len(people)
        units[silo] = {
            "people": n,
            "interactions_within": within[silo],
            "interactions_across": across[silo],
            "internal_ties": internal[silo],
            "external_ties": external[silo],
            "ei": _ei(external[silo], internal[silo]),
            "ei_expected": (total - 2 * n + 1) / (total - 1) if total > 1 else None,
            "ei_weighted": _ei(weight_out[silo], weight_in[silo]),
            "island": external[silo] == 0,
        }
    all_pairs = total * (total - 1) // 2
    pairs_within = sum(len(p) * (len(p) - 1) // 2 for p in shown.values())
    org_people: dict[str, set[int]] = defaultdict(set)
    org_with: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for org, guest, silo in found.guests:
        if silo in shown:
            org_people[org].add(guest)
            org_with[org][silo] += 1
    return {
        "units": units,
        "people": total,
        "ei_org": _ei(sum(external.values()) // 2, sum(internal.values())),
        "ei_org_expected": (all_pairs - 2 * pairs_within) / all_pairs if all_pairs else None,
        "organizations": {
            name: {"people": len(members), "interactions": dict(org_with[name])}
            for name, members in org_people.items()
        },
    }


def breadth(plan: Plan, log: Timeline, start: datetime, end: datetime, zone: tzinfo) -> Any:
    """The distribution of members by the number of other silos they worked with (2 or
    more interactions each) in the last 4 weeks of the range (the range, when shorter)."""
    last_day = calendar.local_day(end - timedelta(microseconds=1), zone)
    since = max(start, calendar.midnight(last_day - timedelta(days=BREADTH_DAYS - 1), zone))
    seen: set[int] = set()
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for fact in log.between(since, end):
        if fact.scope is None:
            continue
        a, b = _sides(plan, fact)
        ends = ((fact.act.actor, a, b), (fact.act.target, b, a))
        for person, mine, theirs in ends:
            if mine is None or mine[0] != "silo":
                continue
            assert person is not None
            seen.add(person)
            if theirs is not None and theirs[0] == "silo" and theirs != mine:
                counts[person][theirs[1]] += 1
    out = dict.fromkeys(BUCKETS, 0)
    for person in seen:
        reached = sum(1 for n in counts[person].values() if n >= 2)
        out[BUCKETS[min(reached, 5)]] += 1
    return out


def network(
    plan: Plan,
    log: Timeline,
    *,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    min_interactions: int = 2,
) -> dict[str, Any]:
    start, end = calendar.snap(start, end, zone)
    return (
        {"from": start, "to": end}
        | silos(plan, log, start, end, min_interactions)
        | {"breadth": breadth(plan, log, start, end, zone)}
    )
