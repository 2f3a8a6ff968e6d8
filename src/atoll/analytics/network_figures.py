"""The network's figures, computed from the grouped rows of ``network_rows`` (plain Python over
one row per pair of people): units, the unit × unit matrix, Krackhardt's E-I index per unit
and for the organisation with their expected values, islands, and customers' and partners'
organisations as nodes.

The rules (README, Analytics):

- A **tie** is a pair of members with at least ``min_interactions`` interactions in the range,
  in either direction. A person who moved counts in each unit for what they did while there:
  a tie is counted per pair of placements, with the interactions the two had while placed so.
- A unit's **people** are the members placed in it on a member-to-member interaction with a
  member placed in a unit. Units of fewer than ``MIN_GROUP`` people are left out of every
  figure — their people, their interactions and their ties — so that no figure (not even an
  expected value, which depends on the network's size) gives them back by subtraction.
- Per unit: *interactions_within* (both sides in it) and *interactions_across* (one side in
  it, the other in another unit shown); *internal_ties* / *external_ties* the same over ties;
  *ei* = (E − I) / (E + I) over ties; *ei_weighted* the same over the interactions of those
  ties; *ei_expected* = (N − 2n + 1) / (N − 1) for its n people among the N people of the
  units shown (Everett & Borgatti: the E-I of a unit whose people tie at random); *island*:
  no external tie. ``ei_index`` is ``ei`` (the name of earlier versions).
- The organisation (Krackhardt & Stern): *ei_org* = (E − I) / (E + I) over every tie, E those
  between two units, I those within one; *ei_org_expected* = (pairs across − pairs within) /
  all pairs of the N people, for the units' sizes.
- An organisation of externals is a node when at least ``MIN_GROUP`` of its people interacted
  with the people of the units shown; its pairs count the interactions both ways."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from atoll.analytics.network_rows import GuestRow, PairRow
from atoll.analytics.policy import may_show
from atoll.org.models import Unit

ORG_PREFIX = "org:"


@dataclass
class UnitTally:
    people: set[int] = field(default_factory=set)
    within: int = 0
    across: int = 0
    internal: int = 0
    external: int = 0
    internal_weight: int = 0
    external_weight: int = 0


def _ratio(external: int, internal: int) -> float | None:
    return (external - internal) / (external + internal) if external + internal else None


def shown_units(pairs: list[PairRow]) -> dict[int, set[int]]:
    """The people of every unit of ``MIN_GROUP`` or more (rows with both sides placed)."""
    people: dict[int, set[int]] = defaultdict(set)
    for p in pairs:
        if p.low_unit is not None and p.high_unit is not None:
            people[p.low_unit].add(p.low)
            people[p.high_unit].add(p.high)
    return {unit: who for unit, who in people.items() if may_show(len(who))}


def unit_figures(
    pairs: list[PairRow], shown: dict[int, set[int]], min_interactions: int
) -> tuple[dict[int, UnitTally], dict[tuple[int, int], int], tuple[int, int]]:
    """Per unit shown its tallies; the directed matrix (actor's unit, target's unit) →
    interactions; the organisation's (external, internal) ties."""
    tally = {unit: UnitTally(people=who) for unit, who in shown.items()}
    matrix: dict[tuple[int, int], int] = defaultdict(int)
    org_external = org_internal = 0
    for p in pairs:
        a, b = p.low_unit, p.high_unit
        if a not in tally or b not in tally:
            continue
        assert a is not None and b is not None
        if p.from_low:
            matrix[(a, b)] += p.from_low
        if p.to_low:
            matrix[(b, a)] += p.to_low
        tie = p.count >= min_interactions
        if a == b:
            tally[a].within += p.count
            if tie:
                tally[a].internal += 1
                tally[a].internal_weight += p.count
                org_internal += 1
            continue
        for unit in (a, b):
            tally[unit].across += p.count
            if tie:
                tally[unit].external += 1
                tally[unit].external_weight += p.count
        org_external += tie
    return tally, dict(matrix), (org_external, org_internal)


def expected_ei(n: int, total: int) -> float | None:
    """Everett & Borgatti: the E-I of a unit of ``n`` among ``total`` people tied at random."""
    return (total - 2 * n + 1) / (total - 1) if total > 1 else None


def expected_ei_org(sizes: list[int]) -> float | None:
    """(pairs across − pairs within) / all pairs, for units of these sizes."""
    total = sum(sizes)
    pairs = total * (total - 1) // 2
    if not pairs:
        return None
    within = sum(n * (n - 1) // 2 for n in sizes)
    return (pairs - 2 * within) / pairs


def labels(units: dict[int, Unit], ids: list[int]) -> dict[int, str]:
    """A name per unit that tells the units apart: the unit's name, and where two units shown
    share it, the parent's name too ("Atlas · Sales"), then the whole path."""

    def name(uid: int) -> str:
        unit = units.get(uid)
        return unit.name if unit else f"Unit {uid}"

    def parent(uid: int) -> str:
        unit = units.get(uid)
        up = units.get(unit.parent_id) if unit and unit.parent_id is not None else None
        return f"{name(uid)} · {up.name}" if up and up.parent_id is not None else name(uid)

    def path(uid: int) -> str:
        unit = units.get(uid)
        return unit.path.replace("/", " › ") if unit and unit.path else name(uid)

    out = {uid: name(uid) for uid in ids}
    for better in (parent, path, lambda uid: f"{path(uid)} ({uid})"):
        counts: dict[str, int] = defaultdict(int)
        for label in out.values():
            counts[label] += 1
        clash = [uid for uid, label in out.items() if counts[label] > 1]
        if not clash:
            break
        for uid in clash:
            out[uid] = better(uid)
    return out


def units_out(units: dict[int, Unit], tally: dict[int, UnitTally]) -> list[dict[str, Any]]:
    """The units shown, in the tree's order, with their figures."""
    total = sum(len(t.people) for t in tally.values())
    order = sorted(tally, key=lambda u: (units[u].path if u in units else "", u))
    named = labels(units, order)
    out = []
    for uid in order:
        t, unit = tally[uid], units.get(uid)
        ei = _ratio(t.external, t.internal)
        out.append(
            {
                "id": str(uid),
                "name": unit.name if unit else None,
                "label": named[uid],
                "path": unit.path if unit else None,
                "people": len(t.people),
                "interactions_within": t.within,
                "interactions_across": t.across,
                "internal_ties": t.internal,
                "external_ties": t.external,
                "ei": ei,
                "ei_index": ei,
                "ei_expected": expected_ei(len(t.people), total),
                "ei_weighted": _ratio(t.external_weight, t.internal_weight),
                "island": t.external == 0,
            }
        )
    return out


def organizations_out(
    guests: list[GuestRow], shown: dict[int, set[int]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The organisations of externals with ``MIN_GROUP`` people or more who interacted with
    the units shown, and their pairs with those units (both directions)."""
    people: dict[str, set[int]] = defaultdict(set)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for g in guests:
        if g.unit not in shown:
            continue
        people[g.organization].add(g.guest)
    kept = {org for org, who in people.items() if may_show(len(who))}
    for g in guests:
        if g.unit not in shown or g.organization not in kept:
            continue
        node, unit = ORG_PREFIX + g.organization, str(g.unit)
        if g.from_member:
            pairs[(unit, node)] += g.from_member
        if g.to_member:
            pairs[(node, unit)] += g.to_member
        totals[g.organization] += g.from_member + g.to_member
    organizations = [
        {
            "id": ORG_PREFIX + org,
            "name": org,
            "people": len(people[org]),
            "interactions": totals[org],
        }
        for org in sorted(kept)
    ]
    pair_list = [
        {"from_id": a, "to_id": b, "interactions": n} for (a, b), n in sorted(pairs.items())
    ]
    return organizations, pair_list
