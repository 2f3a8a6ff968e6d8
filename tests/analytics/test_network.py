"""Network measures on a hand-built log: the unit matrix, E-I indexes, islands, bridges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.network import network
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.analytics.helpers import act, day
from tests.factories import make_person, make_unit

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)


async def _org(db: AsyncSession) -> tuple[dict[str, Unit], dict[str, Person]]:
    """Sales > {EMEA (e1 in EMEA Team, e2..e5), APAC (a1..a5), Tiny (t1, t2)};
    Engineering > Platform (p1..p5); Legal > Contracts (l1..l5); and an external, x."""
    u: dict[str, Unit] = {}
    u["sales"] = await make_unit(db, "Sales")
    u["emea"] = await make_unit(db, "EMEA", parent=u["sales"])
    u["team"] = await make_unit(db, "EMEA Team", parent=u["emea"])
    u["apac"] = await make_unit(db, "APAC", parent=u["sales"])
    u["tiny"] = await make_unit(db, "Tiny", parent=u["sales"])
    u["eng"] = await make_unit(db, "Engineering")
    u["platform"] = await make_unit(db, "Platform", parent=u["eng"])
    u["legal"] = await make_unit(db, "Legal")
    u["contracts"] = await make_unit(db, "Contracts", parent=u["legal"])
    where = {"e": "emea", "a": "apac", "p": "platform", "l": "contracts"}
    p: dict[str, Person] = {}
    for letter, unit in where.items():
        for n in range(1, 6):
            home = "team" if f"{letter}{n}" == "e1" else unit
            p[f"{letter}{n}"] = await make_person(db, name=f"{letter}{n}", unit_id=u[home].id)
    for name in ("t1", "t2"):
        p[name] = await make_person(db, name=name, unit_id=u["tiny"].id)
    p["x"] = await make_person(db, name="x", kind="external")
    return u, p


async def _log(db: AsyncSession) -> tuple[dict[str, Unit], dict[str, Person]]:
    u, p = await _org(db)
    n = 0.0

    async def chat(a: str, b: str, times: int = 1) -> None:
        nonlocal n
        for _ in range(times):
            n += 0.1
            await act(db, p[a], p[b], day(n))

    for a, b in [("e1", "e2"), ("e2", "e3"), ("e3", "e4"), ("e4", "e5"), ("e5", "e1")]:
        await chat(a, b)
    await chat("e2", "e1")  # the e1–e2 tie again
    for letter in "apl":
        for k in range(1, 5):
            await chat(f"{letter}{k}", f"{letter}{k + 1}")
    await chat("e1", "a1", 3)
    await chat("a1", "p1")
    await chat("t1", "e2")
    await chat("x", "e1")  # with an external: not in the network
    # a5 moves from APAC to Platform, then talks to p2 — within Platform now.
    a5 = await db.get(Person, p["a5"].id)
    assert a5 is not None
    a5.unit_id = u["platform"].id
    await db.commit()
    await act(db, a5, p["p2"], day(40))
    return u, p


def _units(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {unit["name"]: unit for unit in data["units"]}


async def test_units_matrix_and_ei_index_at_the_department_level(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    data = await network(db, start=START, end=END, level=2, settings=settings, show_names=True)
    assert (data["from"], data["to"], data["level"]) == (
        "2026-03-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        2,
    )
    units = _units(data)
    # In path order; Tiny (two people) is left out.
    assert list(units) == ["Platform", "Contracts", "APAC", "EMEA"]
    emea, apac, platform, contracts = (units[n] for n in ("EMEA", "APAC", "Platform", "Contracts"))
    assert emea["id"] == str(u["emea"].id) and emea["path"] == "Sales/EMEA"
    # EMEA: e1..e5 and t1's answer to e2; a ring of 5 ties plus e1–e2 again; e1 → a1 3 times.
    assert (emea["people"], emea["interactions_within"], emea["interactions_across"]) == (5, 6, 4)
    assert (emea["internal_ties"], emea["external_ties"]) == (5, 2)
    assert emea["ei_index"] == pytest.approx((2 - 5) / 7)
    # APAC: a1..a5 (a5 before the move); a chain of 4; e1 ×3 and p1 across.
    assert (apac["people"], apac["interactions_within"], apac["interactions_across"]) == (5, 4, 4)
    assert apac["ei_index"] == pytest.approx((2 - 4) / 6)
    # Platform: p1..p5 and a5 after the move.
    assert (platform["people"], platform["interactions_within"]) == (6, 5)
    assert (platform["internal_ties"], platform["external_ties"]) == (5, 1)
    assert not emea["island"] and not apac["island"] and not platform["island"]
    assert contracts["island"] and contracts["ei_index"] == -1.0

    matrix = {(m["from_unit_id"], m["to_unit_id"]): m["interactions"] for m in data["matrix"]}
    ids = {k: str(v.id) for k, v in u.items()}
    assert matrix == {
        (ids["emea"], ids["emea"]): 6,
        (ids["emea"], ids["apac"]): 3,
        (ids["apac"], ids["apac"]): 4,
        (ids["apac"], ids["platform"]): 1,
        (ids["platform"], ids["platform"]): 5,
        (ids["contracts"], ids["contracts"]): 4,
    }  # nothing from Tiny (too small) and nothing with the external


async def test_bridges_and_hidden_names(db: AsyncSession, settings: Settings) -> None:
    _, p = await _log(db)
    data = await network(db, start=START, end=END, level=2, settings=settings, show_names=True)
    # Across units: e1–a1 (3), a1–p1 (1), t1–e2 (1). Only a1 lies between two others: on the
    # one path e1–p1 of the 4 × 3 / 2 pairs of the other four people.
    assert data["bridges"] == [
        {
            "person_id": str(p["a1"].id),
            "name": "a1",
            "unit_id": data["bridges"][0]["unit_id"],
            "unit_name": "APAC",
            "betweenness": pytest.approx(1 / 6),
            "units_reached": 2,
        }
    ]
    assert data["names_hidden"] is False and data["betweenness_sampled"] is False
    hidden = await network(db, start=START, end=END, level=2, settings=settings, show_names=False)
    assert hidden["names_hidden"] is True
    assert [(b["person_id"], b["name"]) for b in hidden["bridges"]] == [(str(p["a1"].id), None)]


async def test_a_higher_level_merges_departments(db: AsyncSession, settings: Settings) -> None:
    u, _ = await _log(db)
    data = await network(db, start=START, end=END, level=1, settings=settings, show_names=True)
    units = _units(data)
    assert set(units) == {"Sales", "Engineering", "Legal"}
    sales, engineering = units["Sales"], units["Engineering"]
    # Sales: EMEA, APAC and Tiny together: e1 → a1 and t1 → e2 are within now.
    assert (sales["people"], sales["interactions_within"], sales["interactions_across"]) == (
        11,  # t2 never took part
        6 + 4 + 3 + 1,
        1,
    )
    assert (engineering["people"], engineering["interactions_across"]) == (6, 1)
    whole = await network(db, start=START, end=END, level=0, settings=settings, show_names=True)
    assert [(x["name"], x["island"], x["ei_index"]) for x in whole["units"]] == [
        ("Company", True, -1.0)
    ]
    assert whole["bridges"] == []


async def test_bad_level_or_range(db: AsyncSession, settings: Settings) -> None:
    with pytest.raises(Invalid, match="level"):
        await network(db, start=START, end=END, level=11, settings=settings, show_names=True)
    with pytest.raises(Invalid, match="before"):
        await network(db, start=END, end=START, level=2, settings=settings, show_names=True)


async def test_a_large_graph_is_estimated_on_its_backbone(
    db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atoll.analytics import network as module

    _, p = await _log(db)
    # Pretend the graph is large. With room for its 3 ties, the backbone is the whole graph.
    monkeypatch.setattr(module, "EXACT_LIMIT", 2)
    monkeypatch.setattr(module, "BACKBONE", 3)
    data = await network(db, start=START, end=END, level=2, settings=settings, show_names=True)
    assert data["betweenness_sampled"] is True
    assert [(b["person_id"], b["betweenness"], b["units_reached"]) for b in data["bridges"]] == [
        (str(p["a1"].id), pytest.approx(1 / 6), 2)
    ]
    # With room for 2: e1–a1 (3 interactions), then of the ties with 1 the one with the lowest
    # key ("p:<low id>:<high id>", as text), t1–e2; a1–p1 is dropped and nobody lies between two
    # others any more.
    monkeypatch.setattr(module, "BACKBONE", 2)
    data = await network(db, start=START, end=END, level=2, settings=settings, show_names=True)
    assert data["betweenness_sampled"] is True and data["bridges"] == []
