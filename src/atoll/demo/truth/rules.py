"""THE RULES (README, Analytics), applied to the plan's facts, act by act: who sat in which
silo, the scope of each interaction, whether its tie was new. Written apart from the
analytics domain on purpose — nothing here is imported from it or shared with it — so that
the two can be checked against each other.

A member's silo is the ancestor at the silo level of the unit they were in at the time (a
unit at that level is its own silo); a member in a unit above the level, or in none, sits
in no silo. Externals sit in no silo: they belong to their organisation.

Scope, in order: two externals → "externals"; a member in no silo takes part → "no_silo";
a member with an external → "external"; two members of one silo → "within"; else "across".
Acts toward nobody (a new post, a wiki page's first revision) are activity, not
interactions (scope None).

A tie is a pair of people in either direction; an interaction opens a new tie when the pair
had no interaction within the look-back window before it (``at - previous < lookback`` makes
it existing; two at the same instant: the later one in log order is existing)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from atoll.demo.plan import Plan, PlanAct

GRID = ("within", "across", "external")
APART = ("externals", "no_silo")
TIES = ("existing", "new")
CELLS = tuple((scope, tie) for scope in GRID for tie in TIES)


@dataclass(frozen=True)
class Fact:
    """One act with what the rules make of it."""

    act: PlanAct
    actor_unit: int | None  # the unit at the time (members)
    target_unit: int | None
    actor_silo: int | None
    target_silo: int | None
    scope: str | None  # None: activity
    new: bool | None  # None: activity
    pair: tuple[int, int] | None

    @property
    def at(self) -> datetime:
        return self.act.at


@dataclass
class Timeline:
    """The facts in log order (which is time order), sliced by time."""

    facts: list[Fact]
    ats: list[datetime] = field(init=False)

    def __post_init__(self) -> None:
        self.ats = [f.at for f in self.facts]
        assert self.ats == sorted(self.ats)

    def between(self, start: datetime, end: datetime) -> list[Fact]:
        return self.facts[bisect_left(self.ats, start) : bisect_left(self.ats, end)]


def ancestor(plan: Plan, unit: int | None, level: int) -> int | None:
    """The unit's ancestor at ``level`` (itself at that level); None above it or for none."""
    if unit is None:
        return None
    parent, depth = plan.units[unit]
    if depth < level:
        return None
    while depth > level:
        assert parent is not None
        unit = parent
        parent, depth = plan.units[unit]
    return unit


def scope(kinds: tuple[str, str], silos: tuple[int | None, int | None]) -> str:
    """The scope of an interaction between two people of these kinds, in these silos."""
    if kinds == ("external", "external"):
        return "externals"
    for kind, silo in zip(kinds, silos, strict=True):
        if kind == "member" and silo is None:
            return "no_silo"
    if "external" in kinds:
        return "external"
    return "within" if silos[0] == silos[1] else "across"


def facts(plan: Plan) -> list[Fact]:
    """Every act of the plan, in log order, with its sides, scope and tie."""
    lookback = timedelta(days=plan.lookback_days)
    silo_of = {unit: ancestor(plan, unit, plan.silo_level) for unit in plan.units}
    last: dict[tuple[int, int], datetime] = {}
    out = []
    for act in plan.acts:
        actor_unit = plan.unit_at(act.actor, act.at)
        actor_silo = silo_of.get(actor_unit) if actor_unit is not None else None
        if act.target is None:
            out.append(Fact(act, actor_unit, None, actor_silo, None, None, None, None))
            continue
        target_unit = plan.unit_at(act.target, act.at)
        target_silo = silo_of.get(target_unit) if target_unit is not None else None
        pair = (act.actor, act.target) if act.actor < act.target else (act.target, act.actor)
        previous = last.get(pair)
        new = previous is None or act.at - previous >= lookback
        last[pair] = act.at
        kinds = (plan.kinds[act.actor], plan.kinds[act.target])
        where = scope(kinds, (actor_silo, target_silo))
        out.append(Fact(act, actor_unit, target_unit, actor_silo, target_silo, where, new, pair))
    return out


def stage(
    across: float, external: float, across_threshold: float, external_threshold: float
) -> str:
    """Cumulative: cultural needs the across threshold, transformation needs both."""
    if across >= across_threshold:
        return "transformation" if external >= external_threshold else "cultural"
    return "operational"
