"""Network measures from the interaction log: the unit × unit matrix, Krackhardt's E-I index
per unit, islands, and the people who bridge silos.

Only person-to-person interactions between two members count (posts toward a space and
anything with an external are left out). Each side is mapped to the ancestor at ``level`` of
the unit it was in *at the time* (``actor_unit_id`` / ``target_unit_id``); a unit above that
level stands for itself. For each such unit:

- *people*: distinct members who interacted (either side) while in it — units with fewer than
  ``MIN_GROUP`` are left out of ``units`` and ``matrix``;
- *interactions_within* / *interactions_across*: rows with both sides in it / one side in it
  and the other in another unit;
- *internal_ties* / *external_ties*: distinct ties (pairs of people) of those rows;
- *ei_index*: (external − internal) / (external + internal) ties, null when there are none;
- *island*: no tie across units.

``matrix`` counts interactions from the actor's unit to the target's (the diagonal is
within). Bridges: betweenness centrality (networkx) on the graph of people joined by their
interactions *across units*, an edge's length being 1 / its number of interactions (a strong
tie is a short path); the 20 highest, with the units they reach (the distinct other units of
the people they interacted with across units); people on no shortest path are no bridge. On
a graph of more than ``EXACT_LIMIT`` people or ``BACKBONE`` ties (pure-Python betweenness
costs about a second per source person on 100,000 ties), it is estimated on the backbone —
the ``BACKBONE`` strongest ties (most interactions) — from ``SAMPLE`` source people chosen
with a fixed seed, and ``betweenness_sampled`` says so; ``units_reached`` still counts every
tie."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.matrix import check_range
from atoll.analytics.models import Interaction
from atoll.analytics.policy import may_show
from atoll.analytics.service import silo_path
from atoll.config import Settings
from atoll.kit.errors import Invalid
from atoll.kit.time import as_utc, rfc3339
from atoll.org.models import Unit
from atoll.people.models import Person

MAX_LEVEL = 10
BRIDGES = 20
EXACT_LIMIT = 500  # people
BACKBONE = 3000  # ties
SAMPLE = 50  # source people


@dataclass
class _UnitFigures:
    people: set[int] = field(default_factory=set)
    within: int = 0
    across: int = 0
    internal: set[tuple[int, int]] = field(default_factory=set)
    external: set[tuple[int, int]] = field(default_factory=set)


def check_level(level: int) -> None:
    if not 0 <= level <= MAX_LEVEL:
        raise Invalid.field("level", f"must be between 0 and {MAX_LEVEL}")


async def _ancestors(session: AsyncSession, level: int) -> tuple[dict[int, int], dict[int, Unit]]:
    """unit id → the id of its ancestor at ``level`` (itself at or above it); and the units."""
    units = {u.id: u for u in await session.scalars(select(Unit))}
    by_path = {u.path: u.id for u in units.values()}
    up: dict[int, int] = {}
    for unit in units.values():
        path = silo_path(unit, level)
        up[unit.id] = unit.id if path is None else by_path.get(path, unit.id)
    return up, units


async def _pairs(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[int, int, int, int, int, datetime]]:
    """(actor, target, actor unit, target unit, interactions, last at) of member-to-member
    interactions in the range."""
    i = Interaction
    rows = await session.execute(
        select(
            i.actor_id,
            i.target_id,
            i.actor_unit_id,
            i.target_unit_id,
            func.count(),
            func.max(i.at),
        )
        .where(
            i.at >= start,
            i.at < end,
            i.target_id.is_not(None),
            i.actor_kind == "member",
            i.target_kind == "member",
            i.actor_unit_id.is_not(None),
            i.target_unit_id.is_not(None),
        )
        .group_by(i.actor_id, i.target_id, i.actor_unit_id, i.target_unit_id)
    )
    return [tuple(row) for row in rows]


def _betweenness(graph: nx.Graph) -> tuple[dict[int, float], bool]:
    """Exact on a small graph; on a large one, estimated on its backbone (see the module)."""
    if graph.number_of_nodes() <= EXACT_LIMIT and graph.number_of_edges() <= BACKBONE:
        return nx.betweenness_centrality(graph, weight="length"), False
    strongest = sorted(
        graph.edges(data="interactions"), key=lambda e: (-e[2], min(e[:2]), max(e[:2]))
    )[:BACKBONE]
    backbone = nx.Graph()
    for a, b, n in strongest:
        backbone.add_edge(a, b, length=1 / n)
    k = min(SAMPLE, backbone.number_of_nodes())
    return nx.betweenness_centrality(backbone, k=k, weight="length", seed=7), True


async def network(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    level: int,
    settings: Settings,
    show_names: bool,
) -> dict[str, Any]:
    """The network over [start, end) at ``level`` of the tree (see the module)."""
    check_range(start, end)
    check_level(level)
    up, units = await _ancestors(session, level)
    figures: dict[int, _UnitFigures] = defaultdict(_UnitFigures)
    matrix: dict[tuple[int, int], int] = defaultdict(int)
    graph = nx.Graph()
    reached: dict[int, set[int]] = defaultdict(set)
    home: dict[int, tuple[datetime, int]] = {}  # person → (last seen, unit then)

    for actor, target, actor_unit, target_unit, n, last in await _pairs(session, start, end):
        a, b = up.get(actor_unit, actor_unit), up.get(target_unit, target_unit)
        tie = (min(actor, target), max(actor, target))
        matrix[(a, b)] += n
        figures[a].people.add(actor)
        figures[b].people.add(target)
        for person, unit in ((actor, a), (target, b)):
            if person not in home or as_utc(last) > home[person][0]:
                home[person] = (as_utc(last), unit)
        if a == b:
            figures[a].within += n
            figures[a].internal.add(tie)
            continue
        for unit in (a, b):
            figures[unit].across += n
            figures[unit].external.add(tie)
        reached[actor].add(b)
        reached[target].add(a)
        weight = graph.get_edge_data(actor, target, {}).get("interactions", 0) + n
        graph.add_edge(actor, target, interactions=weight, length=1 / weight)

    shown = {u for u, f in figures.items() if may_show(len(f.people))}
    centrality, sampled = _betweenness(graph)
    ranked = sorted(centrality.items(), key=lambda item: (-item[1], item[0]))
    top = [(person, score) for person, score in ranked if score > 0][:BRIDGES]
    names: dict[int, str] = {}
    if top and show_names:
        people = select(Person.id, Person.name).where(Person.id.in_([p for p, _ in top]))
        names = {pid: name for pid, name in await session.execute(people)}
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "level": level,
        "units": [_unit_out(units, u, figures[u]) for u in sorted(shown, key=_path_key(units))],
        "matrix": [
            {"from_unit_id": str(a), "to_unit_id": str(b), "interactions": n}
            for (a, b), n in sorted(matrix.items())
            if a in shown and b in shown
        ],
        "bridges": [
            {
                "person_id": str(person),
                "name": names.get(person) if show_names else None,
                "unit_id": str(home[person][1]),
                "unit_name": units[home[person][1]].name if home[person][1] in units else None,
                "betweenness": score,
                "units_reached": len(reached[person]),
            }
            for person, score in top
        ],
        "names_hidden": not show_names,
        "betweenness_sampled": sampled,
    }


def _path_key(units: dict[int, Unit]) -> Any:
    return lambda unit_id: (units[unit_id].path if unit_id in units else "", unit_id)


def _unit_out(units: dict[int, Unit], unit_id: int, f: _UnitFigures) -> dict[str, Any]:
    unit = units.get(unit_id)
    internal, external = len(f.internal), len(f.external)
    return {
        "id": str(unit_id),
        "name": unit.name if unit else None,
        "path": unit.path if unit else None,
        "people": len(f.people),
        "interactions_within": f.within,
        "interactions_across": f.across,
        "internal_ties": internal,
        "external_ties": external,
        "ei_index": (external - internal) / (external + internal) if internal + external else None,
        "island": external == 0,
    }
