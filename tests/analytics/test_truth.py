"""The ground truth itself (``atoll.demo.truth``) follows THE RULES, on plans small enough to
work out by hand: the reference the product is checked against must be right first."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from atoll.demo.plan import Plan, PlanAct, PlanPost, PlanQuestion, PlanSpace
from atoll.demo.truth import Truth
from atoll.demo.truth.adoption import persona
from atoll.demo.truth.readiness import Bar
from atoll.demo.truth.rules import facts

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
# Company (1) > Sales (2, a division) > EMEA (3) > EMEA Team (4); Sales > APAC (5), LATAM (6).
UNITS = {1: (None, 0), 2: (1, 1), 3: (2, 2), 4: (3, 3), 5: (2, 2), 6: (2, 2)}
# 10, 11, 30, 31, 32: EMEA Team and EMEA (one silo); 12..16: APAC; 40: LATAM; 17: the
# division (no silo); 18: no unit; 20, 21: Acme Corp; 22: Beta Ltd.
WHERE = {10: 4, 11: 3, 12: 5, 13: 5, 14: 5, 15: 5, 16: 5, 17: 2, 18: None}
WHERE |= {30: 3, 31: 3, 32: 4, 40: 6}
GUESTS = {20: "Acme Corp", 21: "Acme Corp", 22: "Beta Ltd"}


def plan(acts: list[tuple[str, int, int | None, float]], **kw: Any) -> Plan:
    out = Plan(
        silo_level=2,
        lookback_days=90,
        start=T0 - timedelta(days=365),
        stop=T0 + timedelta(days=365),
        month_starts=[T0 - timedelta(days=365)],
        units=UNITS,
        kinds={p: "member" for p in WHERE} | {p: "external" for p in GUESTS},
        organizations=dict.fromkeys(WHERE) | GUESTS,
        unit_by_month={p: [u] for p, u in WHERE.items()},
        **kw,
    )
    for kind, actor, target, days in sorted(acts, key=lambda act: act[3]):  # log order
        out.acts.append(PlanAct(kind, actor, target, 1, T0 + timedelta(days=days)))
    return out


def test_the_scope_of_an_interaction_follows_the_rules_in_order() -> None:
    pairs = {
        (20, 22): "externals",  # two externals, of different organisations
        (17, 20): "no_silo",  # a member above the silo level, with an external
        (18, 12): "no_silo",  # a member in no unit
        (10, 20): "external",
        (10, 11): "within",  # a team and its department: one silo
        (11, 12): "across",
    }
    acts = [("comment", a, b, n) for n, (a, b) in enumerate(pairs)] + [("post", 10, None, 9)]
    assert [f.scope for f in facts(plan(acts))] == [*pairs.values(), None]


def test_a_tie_is_new_after_the_look_back_window_in_either_direction() -> None:
    acts = [
        ("comment", 10, 11, 0),
        ("reply", 11, 10, 0),  # the same instant, the other way: existing
        ("reaction", 10, 11, 89.9),  # within 90 days: existing
        ("comment", 11, 10, 179.9),  # exactly 90 days after the last: new
    ]
    assert [f.new for f in facts(plan(acts))] == [True, False, False, True]


def test_shares_count_the_grid_only_and_the_stage_is_cumulative() -> None:
    # 20 within, 2 across (10 %), 2 external (10 %), and 6 apart.
    acts = [("comment", 10, 11, n / 100) for n in range(20)]
    acts += [("comment", 11, 12, 1), ("comment", 11, 13, 1.1)]
    acts += [("comment", 10, 20, 2), ("comment", 10, 21, 2.1)]
    acts += [("comment", 20, 22, 3)] * 3 + [("comment", 17, 12, 3)] * 3
    truth = Truth(plan(acts))
    figures = truth.value_matrix(T0, T0 + timedelta(days=7), period="week")
    assert figures["total"] == 24
    assert figures["apart"] == {
        "externals": {"interactions": 3, "people": 2},
        "no_silo": {"interactions": 3, "people": 2},
    }
    cells = {(c["scope"], c["tie"]): (c["interactions"], c["ties"]) for c in figures["cells"]}
    assert cells[("within", "new")] == (1, 1) and cells[("within", "existing")] == (19, 1)
    assert cells[("across", "new")] == (2, 2) and cells[("external", "new")] == (2, 2)
    # 8 % across: not cultural, so not transformation either, whatever the external share.
    assert figures["stage"] == "operational"
    assert figures["people"] == 6  # 10, 11, 12, 13, 20, 21: the grid's people


def test_the_rolling_stage_moves_up_at_the_threshold_and_down_below_80_percent() -> None:
    # Twenty interactions a week, this many of them across silos: the four-week windows
    # hold 20, 20, 20, 20, 15, 12.5, 12.5, 7.5, 12.5, 15 % across.
    across = [4, 4, 4, 4, 0, 2, 4, 0, 4, 4]
    acts = []
    for week, n in enumerate(across):
        acts += [("comment", 11, 12 + k % 5, 7 * week + k / 100) for k in range(n)]
        acts += [("comment", 10, 11, 7 * week + 0.1 + k / 100) for k in range(20 - n)]
    truth = Truth(plan(acts))
    monday = T0.replace(hour=0)
    weeks = truth.value_matrix(monday, monday + timedelta(days=70), period="week")["journey"]
    # Held at 12.5 % once cultural; not reached at 12.5 % from below; up again at 15 %.
    assert [w["rolling_stage"][0] for w in weeks] == list("cccccccooc")
    assert [w["stage"][0] for w in weeks] == list("ccccoocoCC".lower())


def test_e_i_its_expected_value_and_the_organisation_s_e_i() -> None:
    # EMEA: 10, 11, 30, 31, 32; APAC: 12..16; LATAM: 40 alone, under the floor: left out of
    # every figure. N = 10.
    acts = [("comment", 12, 13, 0), ("comment", 13, 12, 1)]  # an internal tie of APAC
    acts += [("comment", 14, 15, 0), ("comment", 15, 14, 1)]  # another
    acts += [("comment", 16, 11, 0), ("reply", 11, 16, 1)]  # a tie across
    acts += [("comment", 10, 12, 2)]  # one interaction across: no tie
    acts += [("comment", 10, 11, 2), ("comment", 10, 11, 3)]  # EMEA's internal tie
    acts += [("comment", 30, 31, 2), ("comment", 31, 32, 3)]  # EMEA, no tie
    acts += [("comment", 40, 12, 2), ("comment", 40, 12, 3)]  # LATAM: not shown
    acts += [("comment", 20, 12, 4), ("comment", 21, 13, 4)]  # Acme: 2 people, no node
    truth = Truth(plan(acts))
    net = truth.network(T0, T0 + timedelta(days=7))
    assert set(net["units"]) == {3, 5}
    apac, emea = net["units"][5], net["units"][3]
    assert apac["people"] == 5 and (apac["internal_ties"], apac["external_ties"]) == (2, 1)
    assert (apac["interactions_within"], apac["interactions_across"]) == (4, 3)
    assert apac["ei"] == (1 - 2) / 3
    assert apac["ei_expected"] == (10 - 2 * 5 + 1) / (10 - 1)
    assert apac["ei_weighted"] == (2 - 4) / 6  # the ties weigh 2 + 2 within, 2 across
    assert emea["people"] == 5 and emea["ei"] == 0 and not emea["island"]
    # Ties: 3 within, 1 across. Pairs of the 10 people: 45, of which 10 + 10 within.
    assert net["ei_org"] == (1 - 3) / 4
    assert net["ei_org_expected"] == (25 - 20) / 45
    assert net["organizations"]["Acme Corp"]["people"] == 2


def test_personas_and_the_scaled_regular_threshold() -> None:
    assert persona(0, 0, 5) == "observer"
    assert persona(1, 1, 4) == "catalyst"
    assert persona(3, 1, 2) == "broadcaster"
    assert persona(1, 3, 2) == "responder"
    assert persona(2, 2, 3) == "engager"
    # Four weeks: contributing in 2 of them is regular, in 1 is occasional.
    acts = [("comment", 10, 11, 0), ("comment", 10, 11, 14), ("reaction", 12, 11, 1)]
    days = {(13, date(2026, 3, 3))}
    truth = Truth(plan(acts, days=days))
    figures = truth.adoption(T0, T0 + timedelta(days=27))
    assert figures["split"] == {"regular": 1, "occasional": 1, "readers": 1}
    assert figures["active"] == 3  # 10, 12 acted; 13 read; 11 was only acted toward


def test_readiness_is_counted_over_the_90_days_up_to_as_of() -> None:
    """EMEA (10, 11, 30, 31, 32) on 12 March: 10, 11 and 30 acted and 32 opened Atoll (4 of
    5 active); only 10 helped across (a comment; 11's reaction is no help); four internal
    questions, two answered (after 2 hours, and after 1 hour — the first answer counts), one
    never, one answered only after the window: a rate of 0.5 and a median of 1.5 hours. A
    hybrid space that 30 owns opened on 7 March; EMEA's posts name Acme Corp."""

    def at(days: float, hours: float = 0) -> datetime:
        return T0 + timedelta(days=days, hours=hours)

    acts = [("comment", 10, 12, 1), ("reaction", 11, 13, 1.1), ("reply", 30, 31, 2)]
    acts += [("comment", 31, 14, 200)]
    p = plan(acts, days={(32, date(2026, 3, 5)), (11, date(2025, 12, 12))})
    p.spaces = {
        1: PlanSpace("unit", at(-100), frozenset()),
        2: PlanSpace("hybrid", at(5), frozenset({30})),
        3: PlanSpace("public", at(-100), frozenset()),
    }
    p.questions = [
        PlanQuestion(at(1), 10, True, 1, (at(1, 2),)),
        PlanQuestion(at(2), 11, True, 1, (at(2, 6), at(2, 1))),
        PlanQuestion(at(3), 30, False, 1, ()),
        PlanQuestion(at(4), 10, False, 3, ()),  # in public: not internal
        PlanQuestion(at(9), 31, True, 1, (at(12),)),  # answered after the window
    ]
    p.talk = [
        PlanPost(at(1), 11, "Call with ACME Corp today"),
        PlanPost(at(2), 12, "Beta Ltd, Acme Corp"),
    ]
    truth = Truth(p)
    emea = truth.readiness(date(2026, 3, 12))[3]
    assert emea == {
        "members": 5,
        "active_share": 0.8,
        "across_share": 0.2,
        "answer_rate": 0.5,
        "time_to_first_answer_hours": 1.5,
        "questions": 4,
        "askers": 4,
        "has_hybrid_space": True,
        "organizations": ["Acme Corp"],
        "ready": False,
    }
    # A rate of 0.5 is enough under a lower bar, but 4 people asking is no habit yet; a fifth
    # asker, answered within the hour, makes one: 3 of 5 answered, waits 2, 1 and 1 hours.
    assert truth.readiness(date(2026, 3, 12), Bar(answer_rate=0.5))[3]["ready"] is False
    p.questions.append(PlanQuestion(at(5), 32, True, 1, (at(5, 1),)))
    truth = Truth(p)
    emea = truth.readiness(date(2026, 3, 12), Bar(answer_rate=0.5))[3]
    assert emea["askers"] == 5 and emea["answer_rate"] == 0.6
    assert emea["time_to_first_answer_hours"] == 1 and emea["ready"] is True
    assert truth.readiness(date(2026, 3, 6))[3]["has_hybrid_space"] is False  # opens the 7th
    apac = truth.readiness(date(2026, 3, 12))[5]
    assert apac["active_share"] == 0.0 and apac["organizations"] == ["Acme Corp", "Beta Ltd"]
    assert truth.readiness(date(2026, 3, 12))[6]["members"] == 1  # LATAM: one person
