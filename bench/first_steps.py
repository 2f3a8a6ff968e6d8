"""First steps at 10,000 people: the organisation and log of the analytics benchmark
(``bench.analytics``: 9,500 members, 500 externals, ``--rows`` interactions over 12 months,
20,000 questions), plus a unit space per department and team with its people in it, 40
communities with about 20,000 memberships, 20 hybrid spaces, and a third of the logged posts
placed in their author's team space.

Cases, each ``REPEAT`` times: a member's checklist as the home page asks for it
(``first_steps_for``), for the 50 most active members (the most rows to look through) and for
50 of the least active; and the administrators' table of steps taken per department
(``first_steps_by_unit``, 40 departments). Baselines: one person read by primary key (the
checklist), and a bare ``COUNT(*)`` of the log (the table)."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.first_steps import first_steps_by_unit, first_steps_for
from atoll.analytics.models import Interaction
from atoll.kit.settings import Settings
from atoll.people.models import Person, Unit
from atoll.spaces.models import Membership, Space
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.analytics import DEFAULT_ROWS, PEOPLE, _figure, _fill, _insert, _timed
from bench.databases import fresh_engine

REPEAT = 5
SAMPLE = 50
SEED = 20261205


async def _spaces(session: AsyncSession) -> None:
    """Unit spaces with their people, communities, hybrid spaces; posts placed in teams."""
    rng = random.Random(SEED)
    units = (await session.execute(select(Unit.id, Unit.level, Unit.parent_id))).all()
    members = (
        await session.execute(select(Person.id, Person.unit_id).where(Person.kind == "member"))
    ).all()
    first = (await session.scalar(select(func.max(Space.id))) or 0) + 1  # after the questions'
    spaces: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    space_of_unit: dict[int, int] = {}
    for unit in units:
        if unit.level in (2, 3):
            space_of_unit[unit.id] = first + len(spaces)
            spaces.append(_space(first + len(spaces), "unit", unit.id))
    parent = {u.id: u.parent_id for u in units}
    for person, unit in members:
        for where in (unit, parent.get(unit)):
            if where in space_of_unit:
                memberships.append(_member(space_of_unit[where], person))
    for kind, count, size in (("community", 40, 500), ("hybrid", 20, 60)):
        for _ in range(count):
            space = first + len(spaces)
            spaces.append(_space(space, kind, None))
            for person in rng.sample(range(1, PEOPLE + 1), size):
                memberships.append(_member(space, person))
    await _insert(session, Space, spaces)
    await _insert(session, Membership, memberships)
    # A third of the posts in their author's team space (the log's rows keep no space here).
    await session.execute(
        text(
            "UPDATE interaction SET space_id = (SELECT m.space_id FROM membership m "
            "JOIN space s ON s.id = m.space_id WHERE m.person_id = interaction.actor_id "
            "AND s.kind = 'unit' LIMIT 1) WHERE kind = 'post' AND id % 3 = 0"
        )
    )
    await session.commit()
    # Fresh statistics, as a live database keeps them (the log's were taken before).
    if session.bind.dialect.name == "postgresql":
        async with session.bind.connect() as conn:  # type: ignore[union-attr]
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        await session.execute(text("ANALYZE"))
        await session.commit()


def _space(space_id: int, kind: str, unit_id: int | None) -> dict[str, Any]:
    return {
        "id": space_id,
        "name": f"{kind} {space_id}",
        "slug": f"{kind}-{space_id}",
        "description": "",
        "kind": kind,
        "visibility": "open" if kind != "hybrid" else "private",
        "unit_id": unit_id,
        "wiki_moderators_only": False,
        "wiki_externals_may_edit": False,
    }


def _member(space_id: int, person_id: int) -> dict[str, Any]:
    return {"space_id": space_id, "person_id": person_id, "role": "member", "source": "manual"}


async def _people(session: AsyncSession) -> tuple[list[Person], list[Person]]:
    """The most and the least active members (by their rows in the log)."""
    rows = func.count().label("rows")
    counted = (
        select(Interaction.actor_id, rows)
        .where(Interaction.actor_kind == "member")
        .group_by(Interaction.actor_id)
    )
    busiest = (await session.execute(counted.order_by(rows.desc()).limit(SAMPLE))).all()
    quiet = (await session.execute(counted.order_by(rows).limit(SAMPLE))).all()
    load = [(await session.get(Person, row.actor_id)) for row in (*busiest, *quiet)]
    people = [p for p in load if p is not None]
    return people[:SAMPLE], people[SAMPLE:]


async def _run(kind: str, rows: int) -> list[Figure]:
    async with fresh_engine(kind, "first_steps") as engine:
        began = time.perf_counter()
        await _fill(engine, rows)
        async with make_sessions(engine, Settings())() as session:
            await _spaces(session)
        print(f"  {kind}: filled in {time.perf_counter() - began:.0f} s", flush=True)
        async with make_sessions(engine, Settings())() as session:
            busiest, quiet = await _people(session)
        figures = []
        by_key = await _timed(engine, lambda s: s.get(Person, busiest[0].id), REPEAT * 10)
        key_baseline = statistics.median(by_key)
        for case, who in (("busiest", busiest), ("quietest", quiet)):
            times: list[float] = []
            for person in who:
                times += await _timed(
                    engine, lambda s, p=person: first_steps_for(s, person=p), repeat=1
                )
            figure = _figure(
                kind, f"a member's checklist, {SAMPLE} {case}", len(times), times, key_baseline
            )
            figures.append(figure)
            print(f"  {kind} {figure.case}: {figure.note}", flush=True)

        async def count(session: AsyncSession) -> Any:
            return await session.scalar(select(func.count()).select_from(Interaction))

        baseline = statistics.median(await _timed(engine, count))
        times = await _timed(engine, lambda s: first_steps_by_unit(s, silo_level=2), REPEAT)
        figure = _figure(kind, "steps taken per department (40)", rows, times, baseline)
        figures.append(figure)
        print(f"  {kind} {figure.case}: {figure.note}", flush=True)
        return figures


@benchmark("first_steps")
async def first_steps(options: Options) -> list[Figure]:
    rows = options.rows or DEFAULT_ROWS
    figures: list[Figure] = []
    for kind in options.dbs:
        figures += await _run(kind, rows)
    return figures
