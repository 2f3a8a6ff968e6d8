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

At the silo level (the default) the ancestors are the silos each row carries; at another level
the units are mapped through the current tree (rows of units deleted since are left out).

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
from datetime import datetime
from typing import Any

import networkx as nx
from sqlalchemy import BigInteger, case, column, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.matrix import check_range
from atoll.analytics.models import Interaction
from atoll.analytics.policy import may_show
from atoll.analytics.service import silo_path
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import rfc3339
from atoll.org.models import Unit
from atoll.people.models import Person

MAX_LEVEL = 10
BRIDGES = 20
EXACT_LIMIT = 500  # people
BACKBONE = 3000  # ties
SAMPLE = 50  # source people


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


def _rows(
    up: dict[int, int] | None, start: datetime, end: datetime, people: list[int] | None = None
) -> Any:
    """Member-to-member interactions in the range (of ``people`` only, if given), each side's
    unit mapped to its ancestor (columns actor, target, tie, a, b, at). ``up`` None: the level
    is the silo level, whose ancestors each row already carries (``*_silo_id``)."""
    i = Interaction
    where = [
        i.at >= start,
        i.at < end,
        i.target_id.is_not(None),
        i.actor_kind == "member",
        i.target_kind == "member",
    ]
    if people is not None:
        where.append(i.actor_id.in_(people) | i.target_id.in_(people))
    if up is None:
        return (
            select(
                i.actor_id.label("actor"),
                i.target_id.label("target"),
                i.tie_key.label("tie"),
                i.actor_silo_id.label("a"),
                i.target_silo_id.label("b"),
                i.at.label("at"),
            )
            .where(*where, i.actor_silo_id.is_not(None), i.target_silo_id.is_not(None))
            .subquery("pairs")
        )
    # A literal table of integers from the database (no user text). Both databases name the
    # columns of a VALUES list column1, column2.
    listed = ", ".join(f"({int(unit)}, {int(anc)})" for unit, anc in sorted(up.items()))
    mapping = text(
        f"SELECT column1 AS unit_id, column2 AS anc FROM (VALUES {listed}) AS m"  # noqa: S608
    ).columns(column("unit_id", BigInteger), column("anc", BigInteger))
    # Materialised once per statement (SQLite would otherwise rebuild the list per row).
    m = mapping.cte("unit_anc").prefix_with("MATERIALIZED")
    a, b = m.alias("a_anc"), m.alias("b_anc")
    return (
        select(
            i.actor_id.label("actor"),
            i.target_id.label("target"),
            i.tie_key.label("tie"),
            a.c.anc.label("a"),
            b.c.anc.label("b"),
            i.at.label("at"),
        )
        .join(a, a.c.unit_id == i.actor_unit_id)
        .join(b, b.c.unit_id == i.target_unit_id)
        .where(*where)
        .subquery("pairs")
    )


def _people_of(tie: str) -> tuple[int, int]:
    _, low, high = tie.split(":")
    return int(low), int(high)


async def _units(session: AsyncSession, rows: Any) -> dict[int, dict[str, Any]]:
    """people, interactions within/across and internal/external ties of every unit."""
    r = rows.c
    figures: dict[int, dict[str, Any]] = defaultdict(
        lambda: dict.fromkeys(("people", "within", "across", "internal", "external"), 0)
    )
    for a, b, n in await session.execute(select(r.a, r.b, func.count()).group_by(r.a, r.b)):
        if a == b:
            figures[a]["within"] += n
        else:
            figures[a]["across"] += n
            figures[b]["across"] += n
        figures[a].setdefault("pairs", {})[b] = n
    sides = union_all(
        select(r.a.label("unit"), r.actor.label("person")),
        select(r.b.label("unit"), r.target.label("person")),
    ).subquery()
    for unit, people in await session.execute(
        select(sides.c.unit, func.count(func.distinct(sides.c.person))).group_by(sides.c.unit)
    ):
        figures[unit]["people"] = people
    ties = union_all(
        select(r.a.label("unit"), r.tie.label("tie"), case((r.a == r.b, 1), else_=0).label("own")),
        select(r.b.label("unit"), r.tie.label("tie"), literal(0).label("own")).where(r.a != r.b),
    ).subquery()
    for unit, own, n in await session.execute(
        select(ties.c.unit, ties.c.own, func.count(func.distinct(ties.c.tie))).group_by(
            ties.c.unit, ties.c.own
        )
    ):
        figures[unit]["internal" if own else "external"] = n
    return figures


async def _bridges(
    session: AsyncSession, rows: Any, people_rows: Any
) -> tuple[list[tuple[int, float]], bool, dict[int, int], dict[int, int]]:
    """The top people by betweenness on the graph of ties across units; whether it was
    estimated; the units each reaches and the unit each was last seen in (``people_rows``
    makes the rows of given people, read through the person indexes)."""
    r = rows.c
    n = func.count()
    strongest = list(
        await session.execute(
            select(r.tie, n)
            .where(r.a != r.b)
            .group_by(r.tie)
            .order_by(n.desc(), r.tie)
            .limit(BACKBONE + 1)
        )
    )
    graph = nx.Graph()
    for tie, weight in strongest[:BACKBONE]:
        graph.add_edge(*_people_of(tie), length=1 / weight)
    sampled = len(strongest) > BACKBONE or graph.number_of_nodes() > EXACT_LIMIT
    if sampled:
        k = min(SAMPLE, graph.number_of_nodes())
        centrality = nx.betweenness_centrality(graph, k=k, weight="length", seed=7)
    else:
        centrality = nx.betweenness_centrality(graph, weight="length")
    ranked = sorted(centrality.items(), key=lambda item: (-item[1], item[0]))
    top = [(person, score) for person, score in ranked if score > 0][:BRIDGES]
    if not top:
        return [], sampled, {}, {}
    ids = [person for person, _ in top]
    r = people_rows(ids).c
    sides = union_all(
        select(r.actor.label("person"), r.a.label("own"), r.b.label("other"), r.at.label("at")),
        select(r.target.label("person"), r.b.label("own"), r.a.label("other"), r.at.label("at")),
    ).subquery()
    reached = {
        person: count
        for person, count in await session.execute(
            select(sides.c.person, func.count(func.distinct(sides.c.other)))
            .where(sides.c.person.in_(ids), sides.c.own != sides.c.other)
            .group_by(sides.c.person)
        )
    }
    latest: dict[int, tuple[Any, int]] = {}
    for person, own, at in await session.execute(
        select(sides.c.person, sides.c.own, sides.c.at).where(sides.c.person.in_(ids))
    ):
        if person not in latest or (at, -own) > (latest[person][0], -latest[person][1]):
            latest[person] = (at, own)
    home = {person: own for person, (_, own) in latest.items()}
    return top, sampled, reached, home


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
    answer: dict[str, Any] = {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "level": level,
        "units": [],
        "matrix": [],
        "bridges": [],
        "names_hidden": not show_names,
        "betweenness_sampled": False,
    }
    if not up:
        return answer
    direct = level == settings.silo_level
    rows = _rows(None if direct else up, start, end)
    figures = await _units(session, rows)
    shown = {u for u, f in figures.items() if may_show(f["people"])}
    answer["units"] = [_unit_out(units, u, figures[u]) for u in sorted(shown, key=_path_key(units))]
    answer["matrix"] = [
        {"from_unit_id": str(a), "to_unit_id": str(b), "interactions": n}
        for a in sorted(shown)
        for b, n in sorted(figures[a].get("pairs", {}).items())
        if b in shown
    ]
    top, answer["betweenness_sampled"], reached, home = await _bridges(
        session, rows, lambda ids: _rows(None if direct else up, start, end, ids)
    )
    names: dict[int, str] = {}
    if top and show_names:
        people = select(Person.id, Person.name).where(Person.id.in_([p for p, _ in top]))
        names = {pid: name for pid, name in await session.execute(people)}
    answer["bridges"] = [
        {
            "person_id": str(person),
            "name": names.get(person) if show_names else None,
            "unit_id": str(home[person]),
            "unit_name": units[home[person]].name if home[person] in units else None,
            "betweenness": score,
            "units_reached": reached.get(person, 0),
        }
        for person, score in top
    ]
    return answer


def _path_key(units: dict[int, Unit]) -> Any:
    return lambda unit_id: (units[unit_id].path if unit_id in units else "", unit_id)


def _unit_out(units: dict[int, Unit], unit_id: int, f: dict[str, Any]) -> dict[str, Any]:
    unit = units.get(unit_id)
    internal, external = f["internal"], f["external"]
    return {
        "id": str(unit_id),
        "name": unit.name if unit else None,
        "path": unit.path if unit else None,
        "people": f["people"],
        "interactions_within": f["within"],
        "interactions_across": f["across"],
        "internal_ties": internal,
        "external_ties": external,
        "ei_index": (external - internal) / (external + internal) if internal + external else None,
        "island": external == 0,
    }
