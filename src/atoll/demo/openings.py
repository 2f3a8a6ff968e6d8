"""Units go outward when they are ready: the demo's planted history of hybrid spaces.

The hybrid spaces that open during the history (all but the first two, which Ana's department
has worked in from the start) are owned by someone of a unit that is ready to go outward on
the day the space opens — by the rules the truth implements (``atoll.demo.truth.readiness``)
— when some unit is ready then. The acts in the space do not change, only who owns it: the
one who opened it. ``do_plant_openings`` runs once the history (acts and activity days) is
planned and written, and answers the openings for the ground truth."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.demo.org import Org, PSpace
from atoll.demo.plan import Plan
from atoll.demo.truth import Truth
from atoll.spaces.models import Membership, Space


def _ready_silos(truth: Truth, space: PSpace) -> list[int]:
    return sorted(u for u, row in truth.readiness(space.created_at.date()).items() if row["ready"])


def _owner_from(rng: random.Random, org: Org, space: PSpace, silo: int) -> int:
    """Someone of ``silo``: a member of the space when one is, else a colleague (no admin)."""
    people = {p.id: p for p in org.people}
    inside = sorted(
        pid
        for pid in space.members
        if people[pid].kind == "member" and org.silo.get(people[pid].unit_id or -1) == silo
    )
    if inside:
        return rng.choice(inside)
    staff = sorted(
        p.id
        for p in org.people
        if p.kind == "member" and p.role != "admin" and org.silo.get(p.unit_id or -1) == silo
    )
    return rng.choice(staff)


async def do_plant_openings(
    session: AsyncSession, org: Org, plan: Plan, *, seed: int
) -> list[dict[str, Any]]:
    """Give each hybrid space opened during the history an owner of a unit ready then (the
    database's rows, the org's and the plan's); answer, per such space, when it opened, the
    unit that opened it and the units ready that day."""
    truth = Truth(plan)
    rng = random.Random(seed * 7919 + 21)  # draws of its own: the rest of the history stays
    openings = []
    for space in sorted(org.spaces, key=lambda s: s.created_at):
        if space.kind != "hybrid" or space.created_at <= plan.start:
            continue
        ready = _ready_silos(truth, space)
        owner = space.created_by_id
        if ready and org.silo.get(_unit(org, owner) or -1) not in ready:
            owner = _owner_from(rng, org, space, rng.choice(ready))
            await _hand_over(session, space, owner)
            plan.spaces[space.id] = replace(plan.spaces[space.id], owners=frozenset({owner}))
        openings.append(
            {
                "space": space.name,
                "opened": space.created_at.date().isoformat(),
                "unit": org.silo.get(_unit(org, owner) or -1),
                "ready_units": ready,
            }
        )
    return openings


def _unit(org: Org, person_id: int) -> int | None:
    return next(p.unit_id for p in org.people if p.id == person_id)


async def _hand_over(session: AsyncSession, space: PSpace, owner: int) -> None:
    """``owner`` opened ``space``: its owner, and the one who made it; the others members."""
    await session.execute(
        update(Membership)
        .where(Membership.space_id == space.id, Membership.role == "owner")
        .values(role="member")
    )
    row = await session.get(Membership, (space.id, owner))
    if row is None:
        session.add(
            Membership(
                space_id=space.id,
                person_id=owner,
                role="owner",
                source="manual",
                created_at=space.created_at,
            )
        )
    else:
        row.role = "owner"
    await session.execute(update(Space).where(Space.id == space.id).values(created_by_id=owner))
    for pid, role in list(space.members.items()):
        if role == "owner":
            space.members[pid] = "member"
    space.members[owner] = "owner"
    space.created_by_id = owner
    await session.flush()
