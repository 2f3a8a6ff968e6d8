"""Ready to go outward: each unit's figures over the 90 days up to a day, against the
thresholds; suggestions; the privacy floor; the API (403, 404, 422) and the thresholds."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.readiness import passes, readiness
from atoll.analytics.readiness_thresholds import Thresholds
from atoll.analytics.recommendations import recommendations_for
from atoll.kit.settings import Settings
from atoll.people.models import Person
from tests.analytics.helpers import T0, act, day
from tests.analytics.readiness_helpers import AS_OF, World, comment, post, world
from tests.factories import auth_headers, make_person

API = "/api/v1/analytics/readiness"


async def _history(db: AsyncSession, w: World) -> None:
    """EMEA: everyone acts, two help APAC, five ask in the team space (four answered after
    2, 4, 6 and 10 hours), one names Acme Corp; APAC: two of five act, nobody asks."""
    emea, apac = w.emea, w.apac
    for n, person in enumerate(emea):
        await act(db, person, emea[(n + 1) % 5], day(0.1 * n))
    await act(db, emea[0], apac[0], day(1))
    await act(db, emea[1], apac[1], day(1.1), kind="reply")
    await act(db, emea[2], apac[2], day(1.2), kind="reaction")  # not help
    await act(db, apac[0], apac[1], day(1.3))
    await act(db, apac[1], apac[0], day(1.4))
    for n, hours in enumerate((2, 4, 6, 10, None)):
        asker = emea[(n + 2) % 5]
        question = await post(db, asker, w.team_space, day(2 + n * 0.1), "How?", "question")
        await comment(db, question, asker, day(2 + n * 0.1) + timedelta(minutes=5))  # own
        if hours is not None:
            answerer = emea[(n + 3) % 5]
            await comment(db, question, answerer, day(2 + n * 0.1) + timedelta(hours=hours))
    # Not internal: a question in a hybrid space, never answered.
    await post(db, emea[0], w.hybrid, day(6), "Anyone?", "question")
    await post(db, emea[1], w.team_space, day(3), "Notes from our call with ACME CORP.")
    await db.commit()


def _unit(data: dict[str, object], unit_id: int) -> dict[str, object]:
    units = data["units"]
    assert isinstance(units, list)
    return next(u for u in units if u["unit_id"] == str(unit_id))


async def test_a_unit_at_home_inside_is_ready_and_told_to_open_a_hybrid_space(
    db: AsyncSession, settings: Settings
) -> None:
    w = await world(db)
    await _history(db, w)
    before = await readiness(db, settings=settings, as_of=date(2026, 3, 6))
    emea = _unit(before, w.units["emea"].id)  # type: ignore[attr-defined]
    assert emea["members"] == 5
    assert emea["active_share"] == 1.0 and emea["across_share"] == 0.4
    assert emea["answer_rate"] == 0.8 and emea["time_to_first_answer_hours"] == 5.0
    assert emea["questions"] == 5
    assert emea["ready"] is True and emea["has_hybrid_space"] is False
    assert emea["organizations"] == ["Acme Corp"]
    assert emea["suggestions"] == [
        "Open a hybrid space with Acme Corp: EMEA already talks about them."
    ]
    # Once its hybrid space is open (on the 7th), nothing more to suggest.
    after = await readiness(db, settings=settings, as_of=AS_OF)
    emea = _unit(after, w.units["emea"].id)  # type: ignore[attr-defined]
    assert emea["ready"] is True and emea["has_hybrid_space"] is True
    assert emea["suggestions"] == []
    assert after["thresholds"] == {
        "active_share": 0.6,
        "across_share": 0.2,
        "answer_rate": 0.7,
        "first_answer_hours": 48.0,
    }


async def test_a_unit_not_ready_is_told_what_would_help_and_small_units_are_withheld(
    db: AsyncSession, settings: Settings
) -> None:
    w = await world(db)
    await _history(db, w)
    data = await readiness(db, settings=settings, as_of=AS_OF)
    apac = _unit(data, w.units["apac"].id)  # type: ignore[attr-defined]
    assert apac["active_share"] == 0.4 and apac["across_share"] == 0.0
    assert apac["answer_rate"] is None and apac["questions"] == 0
    assert apac["ready"] is False
    assert apac["passes"] == {
        "active_share": False,
        "across_share": False,
        "answer_rate": False,
        "time_to_first_answer_hours": False,
    }
    text = " ".join(apac["suggestions"])  # type: ignore[arg-type]
    assert "Bring more of APAC in" in text
    assert "Start a community that spans APAC and EMEA" in text
    assert "question-and-answer habit" in text
    platform = _unit(data, w.units["platform"].id)  # type: ignore[attr-defined]
    assert platform["suppressed"] is True
    assert platform["members"] is None and platform["active_share"] is None
    assert platform["ready"] is None and platform["suggestions"] == []


async def test_the_window_is_the_90_days_up_to_as_of(db: AsyncSession, settings: Settings) -> None:
    w = await world(db)
    await _history(db, w)
    early = await readiness(db, settings=settings, as_of=(T0 - timedelta(days=1)).date())
    assert all(u["ready"] in (False, None) for u in early["units"])
    assert early["from"] == "2025-12-02T00:00:00Z" and early["to"] == "2026-03-02T00:00:00Z"
    late = await readiness(db, settings=settings, as_of=(T0 + timedelta(days=95)).date())
    emea = _unit(late, w.units["emea"].id)  # type: ignore[attr-defined]
    assert emea["active_share"] == 0.0 and emea["ready"] is False


async def _admin(db: AsyncSession) -> Person:
    return await make_person(db, role="admin")


async def test_the_api_answers_analysts_only_and_checks_its_parameters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await _history(db, w)
    assert (await client.get(API)).status_code == 401
    member = await make_person(db)
    r = await client.get(API, headers=await auth_headers(client, member))
    assert r.status_code == 403
    admin = await auth_headers(client, await _admin(db))
    r = await client.get(f"{API}?as_of=2026-03-12&unit_id={w.units['apac'].id}", headers=admin)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    assert [u["unit_name"] for u in r.json()["units"]] == ["APAC"]
    r = await client.get(f"{API}?unit_id=999999", headers=admin)
    assert r.status_code == 404
    for bad in ("as_of=2026-13-01", "as_of=yesterday", "unit_id=abc"):
        r = await client.get(f"{API}?{bad}", headers=admin)
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get(f"{API}?as_of=2026-03-12", headers=admin | {"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "active_share_threshold" in r.text.splitlines()[0]


async def test_an_admin_changes_the_thresholds_and_the_figures_follow(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await _history(db, w)
    analyst = await make_person(db)
    analyst.is_analyst = True
    await db.commit()
    url = f"{API}/thresholds"
    body = {"active_share": 0.5, "across_share": 0.5, "answer_rate": 0.7, "first_answer_hours": 24}
    r = await client.put(url, json=body, headers=await auth_headers(client, analyst))
    assert r.status_code == 403
    admin = await auth_headers(client, await _admin(db))
    for bad in ({"across_share": 1.5}, {"first_answer_hours": 0}, {"answer_rate": "lots"}):
        r = await client.put(url, json=bad, headers=admin)
        assert r.status_code == 422, bad
    r = await client.put(url, json=body, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["across_share"] == 0.5
    r = await client.get(f"{API}?as_of=2026-03-12", headers=admin)
    emea = _unit(r.json(), w.units["emea"].id)  # type: ignore[attr-defined]
    assert r.json()["thresholds"]["first_answer_hours"] == 24
    assert emea["ready"] is False and emea["passes"]["across_share"] is False


async def test_the_recommendations_tell_who_is_ready_to_go_outward_and_who_is_not(
    db: AsyncSession, settings: Settings
) -> None:
    w = await world(db)
    await _history(db, w)
    viewer = await _admin(db)
    start = T0 - timedelta(days=30)
    end = T0 + timedelta(days=4, hours=14)  # to the end of 6 March: no hybrid space yet
    advice = await recommendations_for(
        db, viewer=viewer, start=start, end=end, unit_id=None, settings=settings
    )
    outward = [a for a in advice if a["kind"] == "ready_outward"]
    assert outward == [
        {
            "kind": "ready_outward",
            "text": "EMEA is ready to go outward and has no hybrid space yet: open one with "
            "Acme Corp, whom its people already talk about.",
            "unit_ids": [str(w.units["emea"].id)],  # type: ignore[attr-defined]
            "space_ids": [],
            "href": "/spaces/new?kind=hybrid&name=EMEA+with+Acme+Corp",
        }
    ]
    waiting = [a for a in advice if a["kind"] == "not_ready"]
    assert len(waiting) == 1 and waiting[0]["text"].startswith("APAC is not ready")
    assert waiting[0]["href"] == "/analytics?to=2026-03-06#readiness"
    # Once EMEA's hybrid space is open, it is no longer told to open one.
    later = await recommendations_for(
        db, viewer=viewer, start=start, end=end + timedelta(days=5), unit_id=None, settings=settings
    )
    assert not [a for a in later if a["kind"] == "ready_outward"]


async def test_the_value_matrix_answers_the_readiness_advice(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    """Through the API, as the page's script reads it: the two kinds are in the contract."""
    w = await world(db)
    await _history(db, w)
    admin = await auth_headers(client, await _admin(db))
    r = await client.get(
        "/api/v1/analytics/value-matrix",
        params={"from": "2026-02-01", "to": "2026-03-06"},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    kinds = {advice["kind"] for advice in r.json()["recommendations"]}
    assert {"ready_outward", "not_ready"} <= kinds


def test_the_question_checks_need_five_people_asking() -> None:
    """Below 5 askers the answer figures are withheld, and a tick would tell them: both
    checks fail, however well the few were answered (no habit yet)."""
    th = Thresholds(active_share=0.6, across_share=0.2, answer_rate=0.7, first_answer_hours=48)
    figures = {
        "active_share": 1.0,
        "across_share": 1.0,
        "answer_rate": 1.0,
        "time_to_first_answer_hours": 1.0,
    }
    few = passes(figures, th, askers=4)
    assert few["answer_rate"] is False and few["time_to_first_answer_hours"] is False
    assert all(passes(figures, th, askers=5).values())
