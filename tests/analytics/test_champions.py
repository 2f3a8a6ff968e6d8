"""Champions: who helps others most across silos and with externals; only those who opted in
to coach are named, the others counted under the privacy floor."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.champions import champions
from tests.analytics.helpers import T0, act, day
from tests.analytics.readiness_helpers import comment, post, world
from tests.factories import auth_headers, make_person

API = "/api/v1/analytics/champions"
START, END = T0 - timedelta(days=1), T0 + timedelta(days=30)


async def test_the_people_who_help_most_across_and_outward_are_counted(db: AsyncSession) -> None:
    w = await world(db)
    emea, apac = w.emea, w.apac
    # emea[0]: two answers accepted by APAC and one by the guest; a reply to a newcomer.
    await act(db, apac[0], emea[0], day(1), kind="accept")
    await act(db, apac[1], emea[0], day(2), kind="accept")
    await act(db, w.guest, emea[0], day(3), kind="accept")
    await act(db, emea[1], emea[0], day(3.5), kind="accept")  # within a silo: not counted
    newcomer = await make_person(db, name="New", unit_id=w.units["apac"].id)  # type: ignore[attr-defined]
    newcomer.created_at = day(4)
    await db.commit()
    await act(db, emea[0], newcomer, day(5), kind="reply")
    await act(db, emea[2], newcomer, day(40), kind="reply")  # after the range
    # apac[2] is the first to answer the guest's post; emea[3] comes second.
    question = await post(db, w.guest, w.hybrid, day(6), "Can you help?", "question")
    await comment(db, question, w.guest, day(6.05))  # the author's own: not a reply
    await comment(db, question, apac[2], day(6.1))
    await comment(db, question, emea[3], day(6.2))
    emea[0].coach_opt_in = True
    await db.commit()
    data = await champions(db, start=START, end=END)
    assert data["champions"] == [
        {
            "person_id": str(emea[0].id),
            "name": emea[0].name,
            "title": emea[0].title,
            "accepted_answers": 3,
            "newcomer_replies": 1,
            "first_replies_to_externals": 0,
            "score": 4,
        }
    ]
    # apac[2] helped but did not opt in: one person, under the floor.
    assert data["not_opted_in"] is None
    assert data["not_opted_in_text"].startswith("A few more people helped as much")
    apac_only = await champions(db, start=START, end=END, unit_id=w.units["apac"].id)  # type: ignore[attr-defined]
    assert apac_only["champions"] == [] and apac_only["not_opted_in"] is None


async def test_five_or_more_who_did_not_opt_in_are_counted(db: AsyncSession) -> None:
    w = await world(db)
    for n, helper in enumerate(w.apac):
        await act(db, w.emea[n], helper, day(1 + n), kind="accept")
    data = await champions(db, start=START, end=END)
    assert data["champions"] == [] and data["not_opted_in"] == 5
    assert data["not_opted_in_text"] == (
        "5 more people helped as much but have not opted in to coach."
    )


async def test_the_api_is_for_analysts_and_a_person_opts_in_on_their_profile(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    w = await world(db)
    await act(db, w.apac[0], w.emea[0], day(1), kind="accept")
    member = w.emea[0]
    headers = await auth_headers(client, member)
    assert (await client.get(API, headers=headers)).status_code == 403
    r = await client.patch(
        f"/api/v1/people/{member.id}", json={"coach_opt_in": True}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["coach_opt_in"] is True
    other = await auth_headers(client, w.apac[1])
    r = await client.patch(
        f"/api/v1/people/{member.id}", json={"coach_opt_in": False}, headers=other
    )
    assert r.status_code == 403
    r = await client.patch(
        f"/api/v1/people/{member.id}", json={"coach_opt_in": "yes"}, headers=headers
    )
    assert r.status_code == 422
    admin = await auth_headers(client, await make_person(db, role="admin"))
    r = await client.get(f"{API}?from=2026-03-01&to=2026-03-31", headers=admin)
    assert r.status_code == 200, r.text
    assert [c["name"] for c in r.json()["champions"]] == [member.name]
    assert (await client.get(f"{API}?unit_id=999999", headers=admin)).status_code == 404
    assert (await client.get(f"{API}?from=soon", headers=admin)).status_code == 422


async def test_a_newcomer_is_new_for_30_days_from_their_arrival(db: AsyncSession) -> None:
    """Replies in the 30 days after a person's account was made count; before and after, not
    (the range spans them all)."""
    w = await world(db)
    helper = w.emea[0]
    helper.coach_opt_in = True
    newcomer = await make_person(db, name="New", unit_id=w.units["apac"].id)  # type: ignore[attr-defined]
    newcomer.created_at = day(4)
    await db.commit()
    for at in (day(3.9), day(4), day(33.9), day(34.1)):  # before, the first moment, in, after
        await act(db, helper, newcomer, at, kind="reply")
    await act(db, helper, newcomer, day(20), kind="reaction")  # not a reply
    data = await champions(db, start=T0 - timedelta(days=10), end=T0 + timedelta(days=60))
    assert [c["newcomer_replies"] for c in data["champions"]] == [2]
