"""Migration 0022 brings a log written under the earlier definitions to the new ones: posts
become activity, two externals ``externals``, member sides in no silo (no unit, or a unit
above ``ATOLL_SILO_LEVEL``) lose their silo and make the row ``no_silo``; a reaction repeated
on one post is kept once; the helpers are what ``rebuild_log`` computes; the closed months'
counts are dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column, func, insert, select, table

from atoll import migrate
from atoll.analytics.models import Interaction, InteractionMonth
from atoll.analytics.ties import rebuild_log
from atoll.db.engine import make_engine
from atoll.kit.settings import Settings
from atoll.people.models import Person, Unit
from atoll.wiring import make_sessions

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
UNITS = [  # id, name, parent, level, path
    (1, "Company", None, 0, ""),
    (2, "Sales", 1, 1, "Sales"),
    (3, "EMEA", 2, 2, "Sales/EMEA"),
    (4, "Team", 3, 3, "Sales/EMEA/Team"),
    (5, "APAC", 2, 2, "Sales/APAC"),
]
PEOPLE = {  # id: (name, kind, unit)
    10: ("ana", "member", 4),
    11: ("bea", "member", 3),
    12: ("cid", "member", 5),
    13: ("fay", "member", 2),  # in Sales: above the silo level 2
    14: ("gus", "member", None),
    15: ("xan", "external", None),
    16: ("yul", "external", None),
}
# Each unit's silo as the earlier version recorded it at level 2 (a unit at or above the
# level was its own silo) and at level 1.
SILO_AT = {2: {4: 3, 3: 3, 5: 5, 2: 2, 1: 1}, 1: {4: 2, 3: 2, 5: 2, 2: 2, 1: 1}}
# The earlier version wrote these at level 2: a post had a scope by its space, and toggled
# reactions were logged each time.
OLD = [  # id, day, kind, actor, target, old scope
    (1, 0, "post", 10, None, "within"),
    (2, 1, "comment", 15, 16, "external"),
    (3, 2, "comment", 13, 10, "across"),
    (4, 3, "comment", 14, 15, "external"),
    (5, 4, "comment", 10, 12, "across"),
    (6, 5, "comment", 10, 11, "within"),
    (7, 6, "reaction", 12, 10, "across"),
    (8, 7, "reaction", 12, 10, "across"),  # taken back and given again
    (9, 8, "comment", 10, 15, "external"),
    (10, 9, "reaction", 12, 10, "across"),  # a second emoji
    (11, 200, "comment", 12, 10, "across"),
]


def _side(person_id: int | None, silo: dict[int, int]) -> dict[str, Any]:
    if person_id is None:
        return {"unit_id": None, "silo_id": None, "kind": None, "organization": None}
    _, kind, unit = PEOPLE[person_id]
    external = kind == "external"
    return {
        "unit_id": unit,
        "silo_id": silo[unit] if unit is not None else None,
        "kind": kind,
        "organization": "Acme Corp" if external else None,
    }


Old = tuple[int, int, str, int, int | None, str]


def _old_row(old: Old, silo: dict[int, int]) -> dict[str, Any]:
    row_id, day, kind, actor, target, scope = old
    low, high = sorted((actor, target)) if target is not None else (actor, 0)
    values: dict[str, Any] = {
        "id": row_id,
        "at": T0 + timedelta(days=day),
        "kind": kind,
        "actor_id": actor,
        "target_id": target,
        "space_id": None,
        "post_id": 500 if kind == "reaction" else None,
        "scope": scope,
        "tie_key": f"p:{low}:{high}" if target is not None else f"s:{actor}:",
        "new_tie": True,
        # Helpers as the earlier version kept them: every row, any scope.
        "cell_prev_at": None,
        "actor_prev_at": T0,
        "target_prev_at": T0 if target is not None else None,
    }
    for prefix, person in (("actor", actor), ("target", target)):
        values |= {f"{prefix}_{key}": value for key, value in _side(person, silo).items()}
    return values


async def _old_log(engine: Any, rows: list[Old], *, level: int) -> None:
    """The tree, the people, ``rows`` of the log as recorded at ``level``, a month counted."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(Unit.__table__),
            [
                dict(zip(("id", "name", "parent_id", "level", "path"), u, strict=True))
                for u in UNITS
            ],
        )
        await conn.execute(
            insert(Person.__table__),
            [
                {
                    "id": pid,
                    "email": f"{name}@example.com",
                    "name": name,
                    "title": "",
                    "bio": "",
                    "kind": kind,
                    "role": "guest" if kind == "external" else "member",
                    "unit_id": unit,
                    "organization": "Acme Corp" if kind == "external" else None,
                    "relation": "customer" if kind == "external" else None,
                    "is_active": True,
                    "is_analyst": False,
                }
                for pid, (name, kind, unit) in PEOPLE.items()
            ],
        )
        await conn.execute(
            insert(Interaction.__table__), [_old_row(row, SILO_AT[level]) for row in rows]
        )
        old_months = table(  # as it was at 0021 (migration 0025 adds its calendar)
            "interaction_month",
            *(column(c) for c in ("month", "scope", "new_tie", "side", "prev_month", "count")),
        )
        await conn.execute(
            insert(old_months),
            [
                {
                    "month": "2026-01-01",
                    "scope": "within",
                    "new_tie": True,
                    "side": "cell",
                    "prev_month": "0000-00-00",
                    "count": 1,
                }
            ],
        )


COLUMNS = (
    "id",
    "actor_silo_id",
    "target_silo_id",
    "scope",
    "new_tie",
    "cell_prev_at",
    "actor_prev_at",
    "target_prev_at",
)


async def _rows(session: Any) -> list[tuple[Any, ...]]:
    i = Interaction
    result = await session.execute(select(*(getattr(i, c) for c in COLUMNS)).order_by(i.id))
    return [tuple(r) for r in result]


async def test_0022_brings_an_old_log_to_the_new_definitions(
    fresh_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATOLL_SILO_LEVEL", "2")
    monkeypatch.setenv("ATOLL_TIE_LOOKBACK_DAYS", "90")
    database = await fresh_database("log_0022")
    settings = Settings(database_url=database.url, var_dir=tmp_path)
    engine = make_engine(settings)
    try:
        await migrate.upgrade(engine, "0021")
        await _old_log(engine, OLD, level=2)
        await migrate.upgrade(engine)
        async with make_sessions(engine, settings)() as session:
            rows = await _rows(session)
            months = await session.scalar(select(func.count()).select_from(InteractionMonth))
            by_id = {r[0]: r for r in rows}
            assert sorted(by_id) == [1, 2, 3, 4, 5, 6, 7, 9, 11]  # the repeats are gone
            assert {i: (r[1], r[2], r[3]) for i, r in by_id.items()} == {
                1: (3, None, "activity"),
                2: (None, None, "externals"),
                3: (None, 3, "no_silo"),  # fay, in Sales, is in no silo
                4: (None, None, "no_silo"),  # gus, in no unit, with an external
                5: (3, 5, "across"),
                6: (3, 3, "within"),
                7: (5, 3, "across"),
                9: (3, None, "external"),
                11: (5, 3, "across"),
            }
            assert months == 0
            # The helpers are those the rebuild computes, and the rebuild changes nothing.
            assert by_id[7][6:] == (T0 + timedelta(days=4), T0 + timedelta(days=5))
            assert by_id[3][6:] == (None, None)  # outside the grid
            assert by_id[11][4] is True  # 194 days after the last row on the tie: new
            rebuilt = await rebuild_log(session, silo_level=2, lookback_days=90)
            assert (rebuilt.scopes, rebuilt.new_ties) == (0, 0)
            assert await _rows(session) == rows
            await session.rollback()
    finally:
        await engine.dispose()


async def test_0022_reads_the_silo_level_from_the_environment(
    fresh_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At level 1, Sales is a silo: Fay keeps hers, and her comment to Ana (in Sales too,
    as the earlier version recorded it at that level) stays within one silo."""
    monkeypatch.setenv("ATOLL_SILO_LEVEL", "1")
    database = await fresh_database("log_0022_level")
    settings = Settings(database_url=database.url, var_dir=tmp_path)
    engine = make_engine(settings)
    try:
        await migrate.upgrade(engine, "0021")
        await _old_log(engine, [(3, 2, "comment", 13, 10, "within")], level=1)
        await migrate.upgrade(engine)
        async with make_sessions(engine, settings)() as session:
            assert [r[1:4] for r in await _rows(session)] == [(2, 2, "within")]
    finally:
        await engine.dispose()
