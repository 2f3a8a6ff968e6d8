"""Network measures on a hand-built log: units, the unit matrix, E-I indexes with their expected
and weighted values (worked out by hand here), islands, organisations as nodes, bridges,
breadth, the unit filter and the privacy floor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.network import network
from atoll.analytics.network_breadth import distribution, window_of
from atoll.kit.errors import Invalid
from atoll.kit.settings import Settings
from atoll.org.models import Unit
from atoll.people.models import Person
from tests.analytics.helpers import act, day
from tests.factories import make_person, make_unit

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 7, 1, tzinfo=UTC)


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
    p["x"] = await make_person(db, name="x", kind="external", organization="Solo Ltd")
    return u, p


class Log:
    def __init__(self, db: AsyncSession, p: dict[str, Person]) -> None:
        self.db, self.p, self.n = db, p, 0.0

    async def chat(self, a: str, b: str, times: int = 1) -> None:
        for _ in range(times):
            self.n += 0.1
            await act(self.db, self.p[a], self.p[b], day(self.n))


async def _log(db: AsyncSession) -> tuple[dict[str, Unit], dict[str, Person]]:
    """A ring in EMEA (e1–e2 twice), chains in APAC, Platform and Contracts (once each),
    e1 → a1 three times, a1 → p1 and t1 → e2 once, x → e1; then a5 moves to Platform and
    answers p2 (all in March, but a5's answer, on 11 April)."""
    u, p = await _org(db)
    log = Log(db, p)
    for a, b in [("e1", "e2"), ("e2", "e3"), ("e3", "e4"), ("e4", "e5"), ("e5", "e1")]:
        await log.chat(a, b)
    await log.chat("e2", "e1")
    for letter in "apl":
        for k in range(1, 5):
            await log.chat(f"{letter}{k}", f"{letter}{k + 1}")
    await log.chat("e1", "a1", 3)
    await log.chat("a1", "p1")
    await log.chat("t1", "e2")
    await log.chat("x", "e1")  # with an external: not between units
    a5 = await db.get(Person, p["a5"].id)
    assert a5 is not None
    a5.unit_id = u["platform"].id
    await db.commit()
    await act(db, a5, p["p2"], day(40))
    return u, p


def _units(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {unit["name"]: unit for unit in data["units"]}


async def _network(
    db: AsyncSession, settings: Settings, *, level: int = 2, show_names: bool = True, **more: Any
) -> dict[str, Any]:
    return await network(
        db, start=START, end=END, level=level, settings=settings, show_names=show_names,
        now=NOW, **more,
    )  # fmt: skip


async def test_units_ties_and_e_i_indexes_against_hand_computed_values(
    db: AsyncSession, settings: Settings
) -> None:
    u, _ = await _log(db)
    data = await _network(db, settings)
    assert (data["from"], data["to"], data["level"], data["min_interactions"]) == (
        "2026-03-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        2,
        2,
    )
    units = _units(data)
    # In path order; Tiny (two people) is left out of everything.
    assert list(units) == ["Platform", "Contracts", "APAC", "EMEA"]
    emea, apac, platform, contracts = (units[n] for n in ("EMEA", "APAC", "Platform", "Contracts"))
    assert emea["id"] == str(u["emea"].id) and emea["path"] == "Sales/EMEA"
    # People: e1..e5; a1..a5 (a5 before the move); p1..p5 and a5 after it; l1..l5.
    assert [x["people"] for x in (emea, apac, platform, contracts)] == [5, 5, 6, 5]
    # Interactions within, and across to the other units shown (Tiny's t1 → e2 is left out).
    assert (emea["interactions_within"], emea["interactions_across"]) == (6, 3)
    assert (apac["interactions_within"], apac["interactions_across"]) == (4, 4)
    assert (platform["interactions_within"], platform["interactions_across"]) == (5, 1)
    assert (contracts["interactions_within"], contracts["interactions_across"]) == (4, 0)
    # Ties need 2 interactions: e1–e2 (2, inside EMEA) and e1–a1 (3, EMEA–APAC) only.
    assert (emea["internal_ties"], emea["external_ties"]) == (1, 1)
    assert (apac["internal_ties"], apac["external_ties"]) == (0, 1)
    assert emea["ei"] == emea["ei_index"] == 0.0  # (1 − 1) / 2
    assert emea["ei_weighted"] == pytest.approx((3 - 2) / (3 + 2))
    assert apac["ei"] == 1.0 and apac["ei_weighted"] == 1.0
    assert platform["ei"] is None and platform["ei_weighted"] is None  # no tie at all
    # Expected under random mixing: (N − 2n + 1) / (N − 1) with N = 5 + 5 + 6 + 5 = 21.
    assert emea["ei_expected"] == pytest.approx((21 - 10 + 1) / 20)
    assert platform["ei_expected"] == pytest.approx((21 - 12 + 1) / 20)
    assert [x["island"] for x in (emea, apac, platform, contracts)] == [False, False, True, True]
    # The organisation: one tie across (e1–a1), one within (e1–e2).
    assert data["ei_org"] == 0.0
    pairs = 21 * 20 / 2
    within = 10 + 10 + 15 + 10  # n(n − 1) / 2 for 5, 5, 6, 5
    assert data["ei_org_expected"] == pytest.approx((pairs - 2 * within) / pairs)

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


async def test_one_interaction_makes_a_tie_when_the_setting_says_so(
    db: AsyncSession, settings: Settings
) -> None:
    await _log(db)
    data = await _network(db, settings.model_copy(update={"ei_min_interactions": 1}))
    assert data["min_interactions"] == 1
    units = _units(data)
    emea, apac, platform = units["EMEA"], units["APAC"], units["Platform"]
    # EMEA: its 5 ring ties inside, e1–a1 outside. APAC: its chain of 4, e1–a1 and a1–p1.
    assert (emea["internal_ties"], emea["external_ties"]) == (5, 1)
    assert emea["ei"] == pytest.approx((1 - 5) / 6)
    assert emea["ei_weighted"] == pytest.approx((3 - 6) / 9)
    assert (apac["internal_ties"], apac["external_ties"]) == (4, 2)
    assert apac["ei"] == pytest.approx((2 - 4) / 6)
    # Platform: a chain of 4 and a5–p2 inside (a5 was in Platform then), a1–p1 outside.
    assert (platform["internal_ties"], platform["external_ties"]) == (5, 1)
    assert not platform["island"] and units["Contracts"]["island"]
    # Below its expected value whatever the sign: more inward than random mixing.
    assert emea["ei"] < emea["ei_expected"]
    # 2 ties across (e1–a1, a1–p1), 5 + 4 + 5 + 4 within.
    assert data["ei_org"] == pytest.approx((2 - 18) / 20)


async def test_bridges_on_the_whole_graph_and_the_units_they_reach(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    log = Log(db, p)
    # t1 (Tiny, hidden) ties t2 to e3: on every shortest path from t2.
    await log.chat("t1", "t2", 2)
    await log.chat("t1", "e3", 2)
    data = await _network(db, settings)
    # The graph of ties (≥ 2 interactions): e2–e1–a1 and t2–t1–e3, two pieces of 3 people. e1
    # and t1 each lie on the one path between the two others: 1 pair of the (6−1)(6−2)/2.
    bridges = {b["name"]: b for b in data["bridges"]}
    assert list(bridges) == sorted(bridges, key=lambda n: int(p[n].id))  # equal scores: by id
    assert set(bridges) == {"e1", "t1"}
    e1, t1 = bridges["e1"], bridges["t1"]
    assert e1["betweenness"] == pytest.approx(1 / 10) == t1["betweenness"]
    assert e1["person_id"] == str(p["e1"].id)
    assert (e1["unit_id"], e1["unit_name"]) == (str(u["emea"].id), "EMEA")
    # t1's unit has 2 people: not shown, not named.
    assert (t1["unit_id"], t1["unit_name"]) == (None, None)
    # e1 has ties in EMEA (its own) and APAC; t1 in Tiny (its own) and EMEA.
    assert e1["units_reached"] == 1 and t1["units_reached"] == 1
    assert data["betweenness_sampled"] is False
    assert (data["betweenness_people"], data["betweenness_sources"]) == (6, 6)


async def test_a_person_who_moved_reaches_neither_unit_they_were_in(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    log = Log(db, p)
    await log.chat("a4", "a5", 1)  # a4–a5 twice now, while a5 was in APAC
    a5 = await db.get(Person, p["a5"].id)
    assert a5 is not None
    await act(db, a5, p["p2"], day(41))  # a5–p2 twice, in Platform
    await log.chat("p3", "l1", 2)  # Platform–Contracts
    data = await _network(db, settings)
    bridges = {b["name"]: b for b in data["bridges"]}
    # a5 ties a4 (APAC) to p2 (Platform): both units were a5's own in the range.
    assert bridges["a5"]["units_reached"] == 0
    assert bridges["a5"]["unit_name"] == "Platform"  # the unit a5 was last in


async def test_hidden_names_take_the_ids_away_too(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    shown = await _network(db, settings)
    hidden = await _network(db, settings, show_names=False)
    assert shown["bridges"] and hidden["names_hidden"] is True
    assert all(b["person_id"] is None and b["name"] is None for b in hidden["bridges"])
    assert [b["betweenness"] for b in hidden["bridges"]] == [
        b["betweenness"] for b in shown["bridges"]
    ]


async def test_organisations_of_five_people_or_more_are_nodes(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    acme = [
        await make_person(db, name=f"g{n}", kind="external", organization="Acme Corp")
        for n in range(5)
    ]
    few = [
        await make_person(db, name=f"h{n}", kind="external", organization="Beta Ltd")
        for n in range(4)
    ]
    for n, guest in enumerate(acme):
        await act(db, guest, p["e2"], day(3 + n / 10))
        await act(db, p["a1"], guest, day(4 + n / 10))
    await act(db, p["p1"], acme[0], day(5))
    for n, guest in enumerate(few):
        await act(db, guest, p["e2"], day(6 + n / 10))
    data = await _network(db, settings)
    assert data["organizations"] == [
        {"id": "org:Acme Corp", "name": "Acme Corp", "people": 5, "interactions": 11}
    ]  # Beta Ltd (4 people) and Solo Ltd (x alone) are left out
    pairs = {(x["from_id"], x["to_id"]): x["interactions"] for x in data["organization_pairs"]}
    ids = {k: str(v.id) for k, v in u.items()}
    assert pairs == {
        ("org:Acme Corp", ids["emea"]): 5,
        (ids["apac"], "org:Acme Corp"): 5,
        (ids["platform"], "org:Acme Corp"): 1,
    }
    # Interactions with externals are not ties between units.
    assert _units(data)["EMEA"]["interactions_across"] == 3


async def test_the_unit_filter_keeps_that_units_interactions_and_bridges(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    log = Log(db, p)
    await log.chat("a1", "a2", 1)  # a1–a2 twice: a1 joins a2 to e1
    data = await _network(db, settings, unit_id=u["apac"].id)
    assert data["unit_id"] == str(u["apac"].id) and data["suppressed"] is False
    # Rows with someone of APAC: e1 alone of EMEA and p1 alone of Platform took part.
    assert [x["name"] for x in data["units"]] == ["APAC"]
    assert data["units"][0]["interactions_within"] == 5
    assert [(b["name"], b["betweenness"]) for b in data["bridges"]] == [("a1", 1.0)]
    whole = await _network(db, settings)
    assert "e1" in {b["name"] for b in whole["bridges"]}  # not of APAC: not in its list


async def test_a_unit_of_fewer_than_five_people_is_withheld_whole(
    db: AsyncSession, settings: Settings
) -> None:
    u, p = await _log(db)
    await Log(db, p).chat("t1", "e2", 2)
    data = await _network(db, settings, unit_id=u["tiny"].id)
    assert data["suppressed"] is True
    assert data["units"] == data["matrix"] == data["bridges"] == data["organizations"] == []
    assert data["breadth"]["people"] is None and data["ei_org"] is None


async def test_breadth_over_the_last_four_weeks_under_the_privacy_floor(
    db: AsyncSession, settings: Settings
) -> None:
    await _log(db)
    march = await network(
        db, start=START, end=datetime(2026, 3, 29, tzinfo=UTC), level=2, settings=settings,
        show_names=True, now=NOW,
    )  # fmt: skip
    breadth = march["breadth"]
    assert (breadth["from"], breadth["to"]) == ("2026-03-01T00:00:00Z", "2026-03-29T00:00:00Z")
    # 21 members in a silo took part (not t2, not a5's April answer). e1 and a1 had 3
    # interactions with each other's silo: 1 other silo each; everyone else 0 (a1 – Platform
    # and t1 – EMEA: one interaction only). The bucket of 2 is under the floor, and so the
    # bucket of 0 is withheld with it.
    assert breadth["people"] == 21
    assert breadth["buckets"] == [
        {"silos": "0", "people": None},
        {"silos": "1", "people": None},
        {"silos": "2", "people": 0},
        {"silos": "3", "people": 0},
        {"silos": "4", "people": 0},
        {"silos": "5+", "people": 0},
    ]
    # The whole range ends on 1 June: its last 4 weeks hold no interaction.
    whole = await _network(db, settings)
    assert whole["breadth"]["from"] == "2026-05-04T00:00:00Z"
    assert whole["breadth"]["people"] == 0
    assert [b["people"] for b in whole["breadth"]["buckets"]] == [0] * 6


def test_breadth_buckets_withhold_enough_that_nothing_comes_back_by_subtraction() -> None:
    reached = {n: 0 for n in range(10)} | {10 + n: 1 for n in range(6)} | {20: 2, 21: 2, 22: 2}
    buckets, total = distribution(reached)
    # 3 people in "2": withheld, and with them the next smallest, "1" (6).
    assert total == 19
    assert [b["people"] for b in buckets] == [10, None, None, 0, 0, 0]
    buckets, total = distribution({n: 7 for n in range(4)})
    assert total is None and all(b["people"] is None for b in buckets)
    buckets, _ = distribution({n: n % 7 for n in range(70)})
    assert [b["people"] for b in buckets] == [10, 10, 10, 10, 10, 20]


async def test_a_higher_level_merges_departments(db: AsyncSession, settings: Settings) -> None:
    await _log(db)
    data = await _network(db, settings, level=1)
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
    whole = await _network(db, settings, level=0)
    assert [(x["name"], x["island"], x["ei"]) for x in whole["units"]] == [("Company", True, -1.0)]


async def test_labels_tell_units_of_the_same_name_apart(
    db: AsyncSession, settings: Settings
) -> None:
    sales = await make_unit(db, "Sales")
    eng = await make_unit(db, "Engineering")
    teams = [await make_unit(db, "Atlas", parent=parent) for parent in (sales, eng)]
    people = [
        [await make_person(db, name=f"{n}{k}", unit_id=team.id) for k in range(5)]
        for n, team in zip("xy", teams, strict=True)
    ]
    for group in people:
        for k in range(4):
            await act(db, group[k], group[k + 1], day(k / 10))
    data = await _network(db, settings, level=2)
    assert sorted(x["label"] for x in data["units"]) == ["Atlas · Engineering", "Atlas · Sales"]


async def test_bad_level_range_or_unit(db: AsyncSession, settings: Settings) -> None:
    with pytest.raises(Invalid, match="level"):
        await _network(db, settings, level=11)
    with pytest.raises(Invalid, match="before"):
        await network(db, start=END, end=START, level=2, settings=settings, show_names=True)
    with pytest.raises(Invalid, match="unit"):
        await _network(db, settings, unit_id=987654)


def test_the_breadth_window_is_four_weeks_of_the_organisations_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # The range ends at midnight in Berlin on 1 April 2026 (summer time since 29 March): 28
    # days back is midnight on 4 March, still winter time — not 28 × 24 hours.
    end = datetime(2026, 4, 1, tzinfo=berlin).astimezone(UTC)
    since = window_of(datetime(2026, 1, 1, tzinfo=UTC), end, berlin)
    assert since == datetime(2026, 3, 4, tzinfo=berlin) == datetime(2026, 3, 3, 23, tzinfo=UTC)
    assert window_of(datetime(2026, 3, 20, tzinfo=UTC), end, berlin) == datetime(
        2026, 3, 20, tzinfo=UTC
    )  # a range shorter than 4 weeks: all of it
