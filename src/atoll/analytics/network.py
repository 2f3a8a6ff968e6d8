"""The network: who works with whom, from the interaction log (README, Analytics, "The
network"). The answer puts together

- the units at a level of the tree (default the silo level) with their people, interactions,
  ties, E-I index, expected and weighted E-I, islands; the unit × unit matrix; the
  organisation's E-I and its expected value; customers' and partners' organisations as nodes
  (``network_figures``, over the rows of ``network_rows``);
- the people who bridge the organisation (``network_bridges``);
- network breadth (``network_breadth``).

A unit filter keeps the interactions in which someone of that unit took part; the privacy
floor then counts the people of that unit: fewer than ``MIN_GROUP`` withholds everything
(``suppressed``). A bridge's unit is named only when that unit is shown; with names hidden
(``ATOLL_ANALYTICS_SHOW_NAMES=false``) a bridge carries neither name nor person id.

Each answer is kept (``network_store``): a read returns the stored one while it holds and says
when it was computed."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import network_store as kept
from atoll.analytics.matrix import check_range
from atoll.analytics.network_breadth import breadth
from atoll.analytics.network_bridges import bridges
from atoll.analytics.network_figures import (
    expected_ei_org,
    labels,
    organizations_out,
    shown_units,
    unit_figures,
    units_out,
)
from atoll.analytics.network_rows import (
    Scope,
    guest_rows,
    last_units,
    own_people,
    pair_rows,
    scope_of,
)
from atoll.analytics.policy import may_show
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.kit.time import rfc3339, utcnow
from atoll.org.models import Unit
from atoll.people.models import Person

MAX_LEVEL = 10


def check_level(level: int) -> None:
    if not 0 <= level <= MAX_LEVEL:
        raise Invalid.field("level", f"must be between 0 and {MAX_LEVEL}")


async def network(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    level: int,
    settings: Settings,
    show_names: bool,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The network over [start, end) at ``level`` of the tree, for the whole organisation or
    one unit (see the module): the stored answer while it holds, else computed now."""
    check_range(start, end)
    check_level(level)
    moment = now or utcnow()
    params: dict[str, Any] = {
        "level": level,
        "unit_id": unit_id,
        "silo_level": settings.silo_level,
        "min_interactions": settings.ei_min_interactions,
    }
    key = kept.key_of(start=start, end=end, zone=settings.timezone, **params)
    snapshot = await session.get(kept.NetworkSnapshot, key)
    rows: int | None = None
    if snapshot is not None and not kept.fresh(snapshot, moment):
        rows = await kept.rows_in(session, start, end)
    if snapshot is not None and (rows is None or rows == snapshot.rows):
        await kept.touch(session, snapshot, moment)
        data = kept.read(snapshot)
    else:
        if rows is None:
            rows = await kept.rows_in(session, start, end)
        data, sources = await compute(
            session,
            start=start,
            end=end,
            sources=kept.LIVE_SOURCES,
            zone=settings.zone,
            **params,
        )
        await kept.store(
            session,
            key=key,
            params=params | {"range_start": start, "range_end": end},
            rows=rows,
            sources=sources,
            complete=sources >= min(kept.SOURCES, data["betweenness_people"]),
            data=data,
            now=moment,
        )
        data["computed_at"] = rfc3339(moment)
    return await _named(session, data, show_names)


async def compute_snapshot(
    session: AsyncSession,
    snapshot: kept.NetworkSnapshot,
    sources: int,
    *,
    zone: tzinfo = UTC,
) -> tuple[dict[str, Any], int]:
    """Housekeeping's computation of a stored network (``network_store.do_refresh_networks``;
    ``zone``: the organisation's time zone)."""
    return await compute(
        session,
        start=snapshot.range_start,
        end=snapshot.range_end,
        level=snapshot.level,
        unit_id=snapshot.unit_id,
        silo_level=snapshot.silo_level,
        min_interactions=snapshot.min_interactions,
        sources=sources,
        zone=zone,
    )


async def compute(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    level: int,
    unit_id: int | None,
    silo_level: int,
    min_interactions: int,
    sources: int,
    zone: tzinfo = UTC,
) -> tuple[dict[str, Any], int]:
    """The answer, names not resolved (bridges carry their person id), and the number of
    source people the betweenness was computed from."""
    scope, units = await scope_of(
        session, start=start, end=end, level=level, silo_level=silo_level, unit_id=unit_id
    )
    answer = _empty(start, end, level, unit_id, min_interactions)
    mine: set[int] | None = None
    if unit_id is not None:
        mine = await own_people(session, scope)
        if not may_show(len(mine)):
            answer["suppressed"] = True
            return answer, 0
    pairs = await pair_rows(session, scope)
    shown = shown_units(pairs)
    tally, matrix, (org_external, org_internal) = unit_figures(pairs, shown, min_interactions)
    answer["units"] = units_out(units, tally)
    answer["matrix"] = [
        {"from_unit_id": str(a), "to_unit_id": str(b), "interactions": n}
        for (a, b), n in sorted(matrix.items())
    ]
    ties = org_external + org_internal
    answer["ei_org"] = (org_external - org_internal) / ties if ties else None
    answer["ei_org_expected"] = expected_ei_org([len(t.people) for t in tally.values()])
    organizations, organization_pairs = organizations_out(await guest_rows(session, scope), shown)
    answer["organizations"], answer["organization_pairs"] = organizations, organization_pairs
    found = await bridges(
        pairs, min_interactions=min_interactions, sources=sources, candidates=mine
    )
    answer["bridges"] = await _bridges_out(session, scope, units, found.top, shown, found.reached)
    answer["betweenness_people"], answer["betweenness_sources"] = found.people, found.sources
    answer["betweenness_sampled"] = found.sources < found.people
    answer["breadth"] = await breadth(session, scope, zone)
    return answer, found.sources


def _empty(
    start: datetime, end: datetime, level: int, unit_id: int | None, min_interactions: int
) -> dict[str, Any]:
    return {
        "from": rfc3339(start),
        "to": rfc3339(end),
        "level": level,
        "unit_id": None if unit_id is None else str(unit_id),
        "min_interactions": min_interactions,
        "suppressed": False,
        "units": [],
        "matrix": [],
        "ei_org": None,
        "ei_org_expected": None,
        "organizations": [],
        "organization_pairs": [],
        "bridges": [],
        "names_hidden": False,
        "betweenness_sampled": False,
        "betweenness_people": 0,
        "betweenness_sources": 0,
        "breadth": {
            "from": rfc3339(start),
            "to": rfc3339(end),
            "people": None,
            "suppressed": True,
            "buckets": [],
        },
    }


async def _bridges_out(
    session: AsyncSession,
    scope: Scope,
    units: dict[int, Unit],
    top: list[tuple[int, float]],
    shown: dict[int, set[int]],
    reached: dict[int, int],
) -> list[dict[str, Any]]:
    home = await last_units(session, scope, [person for person, _ in top]) if top else {}
    out = []
    for person, score in top:
        unit = home.get(person)
        visible = unit is not None and unit in shown
        out.append(
            {
                "person_id": str(person),
                "name": None,
                "unit_id": str(unit) if visible else None,
                "unit_name": units[unit].name if visible and unit in units else None,
                "betweenness": score,
                "units_reached": reached.get(person, 0),
            }
        )
    return out


async def _named(session: AsyncSession, data: dict[str, Any], show_names: bool) -> dict[str, Any]:
    """The answer as the tree and the settings are now: units and bridges' units named by the
    current tree (a kept answer may predate a rename); the bridges named (names shown) or
    stripped of name and person id (names hidden)."""
    units = {u.id: u for u in await session.scalars(select(Unit))}
    named = labels(units, [int(u["id"]) for u in data["units"]])
    for u in data["units"]:
        unit = units.get(int(u["id"]))
        u["name"], u["path"] = (unit.name, unit.path) if unit else (None, None)
        u["label"] = named[int(u["id"])]
    for b in data["bridges"]:
        unit = units.get(int(b["unit_id"])) if b["unit_id"] is not None else None
        b["unit_name"] = unit.name if unit else None
    data["names_hidden"] = not show_names
    if not show_names:
        data["bridges"] = [b | {"person_id": None, "name": None} for b in data["bridges"]]
        return data
    ids = [int(b["person_id"]) for b in data["bridges"]]
    names: dict[int, str] = {}
    if ids:
        rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
        names = {pid: name for pid, name in rows}
    data["bridges"] = [b | {"name": names.get(int(b["person_id"]))} for b in data["bridges"]]
    return data
