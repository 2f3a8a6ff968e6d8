"""The interaction log's rules (README, Analytics: "How the figures are counted"): silos, the
scope of each row in the documented order, the people's helpers kept over the grid's rows
only, and a reaction or a vote logged once per person and post."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import service
from atoll.analytics.models import ACTIVITY, APART_SCOPES, GRID_SCOPES, Interaction
from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.analytics.helpers import act, day, org, people
from tests.factories import access_to, make_person


async def test_the_scopes_are_the_documented_ones() -> None:
    assert GRID_SCOPES == ("within", "across", "external")
    assert APART_SCOPES == ("externals", "no_silo")
    assert ACTIVITY == "activity"


async def test_a_unit_at_the_silo_level_is_its_own_silo_and_one_above_it_is_in_none(
    db: AsyncSession,
) -> None:
    units = await org(db)  # Company > Sales > EMEA > EMEA Team; ...
    silo = service.silo_of
    assert await silo(db, units["team"].id, level=2) == units["emea"].id
    assert await silo(db, units["emea"].id, level=2) == units["emea"].id
    assert await silo(db, units["sales"].id, level=2) is None
    assert await silo(db, units["sales"].parent_id, level=2) is None  # the company
    assert await silo(db, units["sales"].parent_id, level=0) == units["sales"].parent_id
    assert await silo(db, units["team"].id, level=3) == units["team"].id
    assert await silo(db, units["emea"].id, level=3) is None
    assert await silo(db, None, level=2) is None


async def test_each_scope_in_the_order_of_the_rules(db: AsyncSession) -> None:
    units = await org(db)
    p = await people(db, units)  # ana (EMEA Team), bea (EMEA), cid (APAC), xan (external)
    fay = await make_person(db, name="fay", unit_id=units["sales"].id)  # above the silo level
    gus = await make_person(db, name="gus")  # a member in no unit
    yul = await make_person(db, name="yul", kind="external", organization="Zeta")
    cases = [
        (p["ana"], None, "activity"),  # a post: no target
        (p["xan"], None, "activity"),
        (p["xan"], yul, "externals"),  # 1. both externals
        (fay, p["ana"], "no_silo"),  # 2. a member in no silo (above the level) ...
        (p["ana"], gus, "no_silo"),  # ... or in no unit
        (gus, p["xan"], "no_silo"),  # ... before 3.
        (p["ana"], p["xan"], "external"),  # 3. a member with an external
        (p["xan"], p["cid"], "external"),
        (p["ana"], p["bea"], "within"),  # 4. one silo (EMEA Team is in EMEA)
        (p["ana"], p["cid"], "across"),  # 5. two silos
    ]
    for n, (actor, target, scope) in enumerate(cases):
        row = await act(db, actor, target, day(n), kind="post" if target is None else "comment")
        assert row.scope == scope, (actor.name, target.name if target else None)
    rows = {
        (r.actor_id, r.target_id): (r.actor_silo_id, r.target_silo_id)
        for r in await db.scalars(select(Interaction))
    }
    assert rows[(fay.id, p["ana"].id)] == (None, units["emea"].id)
    assert rows[(p["ana"].id, gus.id)] == (units["emea"].id, None)
    assert rows[(p["xan"].id, yul.id)] == (None, None)


async def test_the_people_helpers_count_the_grid_rows_only(db: AsyncSession) -> None:
    units = await org(db)
    p = await people(db, units)
    fay = await make_person(db, name="fay", unit_id=units["sales"].id)
    post = await act(db, p["ana"], None, day(1), kind="post")
    with_xan = await act(db, p["ana"], p["xan"], day(2))
    apart = await act(db, fay, p["ana"], day(3))
    within = await act(db, p["ana"], p["bea"], day(4))
    again = await act(db, fay, p["ana"], day(5))
    for row in (post, apart, again):  # outside the grid: none
        assert (row.actor_prev_at, row.target_prev_at) == (None, None)
    assert (with_xan.actor_prev_at, with_xan.target_prev_at) == (None, None)  # the post: no
    assert (within.actor_prev_at, within.target_prev_at) == (day(2), None)  # day 3: apart
    # The cell's previous row is kept on every row: fay and ana, no_silo, existing tie.
    assert (again.scope, again.new_tie, again.cell_prev_at) == ("no_silo", False, None)
    assert (apart.new_tie, again.tie_key) == (True, apart.tie_key)


async def test_a_reaction_and_a_vote_count_once_per_person_and_post(db: AsyncSession) -> None:
    units = await org(db)
    p = await people(db, units)
    space = await spaces.do_create_space(
        db, actor=p["ana"], name="Guild", kind="community", visibility="open", member_ids=[]
    )
    for name in ("bea", "cid"):
        await space_members.do_add_member(
            db, access=await access_to(db, p["ana"], space), person_id=p[name].id
        )
    await db.commit()
    news = await conversations.do_create_post(db, author=p["ana"], space=space, body="News")
    idea = await conversations.do_create_post(
        db, author=p["ana"], space=space, body="An idea", kind="idea"
    )
    await db.commit()
    bea, cid = await access_to(db, p["bea"], space), await access_to(db, p["cid"], space)
    # Bea reacts, takes it back, reacts again, adds a second emoji; Cid reacts once.
    await reactions.do_react(db, access=bea, post=news, emoji="👍")
    await db.commit()
    await reactions.do_unreact(db, access=bea, post=news, emoji="👍")
    await db.commit()
    await reactions.do_react(db, access=bea, post=news, emoji="👍")
    await reactions.do_react(db, access=bea, post=news, emoji="🎉")  # the same transaction
    await db.commit()
    await reactions.do_react(db, access=cid, post=news, emoji="🎉")
    # Bea votes, takes it back, votes again; she also reacts to the idea (another kind).
    await reactions.do_vote(db, access=bea, post=idea)
    await db.commit()
    await reactions.do_unvote(db, access=bea, post=idea)
    await db.commit()
    await reactions.do_vote(db, access=bea, post=idea)
    await reactions.do_react(db, access=bea, post=idea, emoji="💡")
    await db.commit()

    i = Interaction
    rows = await db.execute(
        select(i.kind, i.actor_id, i.post_id).where(i.kind.in_(("reaction", "vote"))).order_by(i.id)
    )
    assert list(rows.tuples()) == [
        ("reaction", p["bea"].id, news.id),
        ("reaction", p["cid"].id, news.id),
        ("vote", p["bea"].id, idea.id),
        ("reaction", p["bea"].id, idea.id),
    ]
    posts = await db.scalars(select(i.scope).where(i.kind == "post"))
    assert list(posts) == ["activity", "activity"]
