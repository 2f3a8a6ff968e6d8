"""People who know about a topic: skills, accepted answers and what they wrote, counted only
where the viewer may read."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import reactions
from atoll.discover.service import check_topic, experts_on, topic_for
from atoll.kit.errors import Invalid
from atoll.spaces import members as space_members
from tests.discover.helpers import comment, join, org, post, skills, space, tie
from tests.factories import access_to, make_person


async def test_a_skill_that_is_the_topic_comes_before_one_that_names_it(db: AsyncSession) -> None:
    o = await org(db)
    await skills(db, o.ana, "Kubernetes operators")
    await skills(db, o.bob, "Kubernetes")
    await skills(db, o.sam, "Cooking")

    found = await experts_on(db, viewer=o.vera, topic="  kubernetes ")

    assert [e.person.name for e in found] == ["Bob Berg", "Ana Silva"]
    assert found[0].reason == "Skill: Kubernetes"
    assert found[1].reason == "Skill: Kubernetes operators"


async def test_accepted_answers_and_posts_count_and_say_so(db: AsyncSession) -> None:
    o = await org(db)
    guild = await space(db, o.vera, "Guild")
    question = await post(db, o.vera, guild, "How do I pin a Terraform provider?", "question")
    answer = await comment(db, o.sam, question, guild, "Use a version constraint in terraform.")
    await reactions.do_accept(
        db, access=await access_to(db, o.vera, guild), post=question, comment_id=answer.id
    )
    await db.commit()
    await join(db, o.ana, guild)
    await post(db, o.ana, guild, "Terraform modules I like")
    await post(db, o.ana, guild, "More about terraform state")

    found = {e.person.name: e for e in await experts_on(db, viewer=o.bob, topic="Terraform")}

    assert found["Sam Same"].reason == "1 accepted answer · 1 post about Terraform"
    assert found["Ana Silva"].reason == "2 posts about Terraform"
    assert "Vera Viewer" in found  # she asked, and her question is about terraform
    names = list(found)
    assert names.index("Sam Same") < names.index("Ana Silva")


async def test_content_in_a_secret_space_never_makes_an_expert_for_an_outsider(
    db: AsyncSession,
) -> None:
    o = await org(db)
    secret = await space(db, o.ana, "War Room", visibility="secret", member_ids=[o.sam.id])
    question = await post(db, o.sam, secret, "Which rust crate for parsing?", "question")
    answer = await comment(db, o.ana, question, secret, "Use the rust crate nom.")
    await reactions.do_accept(
        db, access=await access_to(db, o.sam, secret), post=question, comment_id=answer.id
    )
    await db.commit()
    for n in range(4):
        await post(db, o.ana, secret, f"rust note {n}")
    open_space = await space(db, o.bob, "Open")
    await post(db, o.bob, open_space, "I tried rust once")

    outsider = await experts_on(db, viewer=o.vera, topic="rust")
    insider = {e.person.name: e for e in await experts_on(db, viewer=o.sam, topic="rust")}

    assert [(e.person.name, e.reason) for e in outsider] == [("Bob Berg", "1 post about rust")]
    assert insider["Ana Silva"].reason == "1 accepted answer · 5 posts about rust"


async def test_an_external_finds_only_people_they_share_a_space_with(db: AsyncSession) -> None:
    o = await org(db)
    guest = await make_person(db, name="Gus Guest", kind="external")
    await skills(db, o.ana, "SAP")
    await skills(db, o.bob, "SAP")
    hybrid = await space(db, o.ana, "With Acme", kind="hybrid", member_ids=[guest.id])

    found = await experts_on(db, viewer=guest, topic="sap")

    assert hybrid.kind == "hybrid"
    assert [e.person.name for e in found] == ["Ana Silva"]


async def test_the_viewer_is_not_their_own_expert(db: AsyncSession) -> None:
    o = await org(db)
    await skills(db, o.vera, "Python")
    await skills(db, o.sam, "Python")
    assert [e.person.name for e in await experts_on(db, viewer=o.vera, topic="python")] == [
        "Sam Same"
    ]


async def test_the_home_topic_is_ones_own_first_skill_else_the_networks(db: AsyncSession) -> None:
    o = await org(db)
    assert await topic_for(db, viewer=o.vera) is None
    await skills(db, o.ana, "Pricing", "Go")
    await skills(db, o.bob, "Pricing")
    await tie(db, o.vera, o.ana)
    await tie(db, o.bob, o.vera)
    assert await topic_for(db, viewer=o.vera) == "Pricing"
    await skills(db, o.vera, "Rust", "Erlang")
    assert await topic_for(db, viewer=o.vera) == "Erlang"


@pytest.mark.parametrize("topic", ["", "   ", "x" * 101])
def test_a_topic_must_be_named_and_short(topic: str) -> None:
    with pytest.raises(Invalid):
        check_topic(topic)


async def test_a_guest_is_told_a_colleagues_organisation_never_their_unit(
    db: AsyncSession,
) -> None:
    o = await org(db)
    guest = await make_person(db, name="Gus Guest", kind="external", organization="Acme Corp")
    hybrid = await space(db, o.ana, "Acme project", kind="hybrid", visibility="private")
    for person in (guest, o.bob):
        await space_members.do_add_member(
            db, access=await access_to(db, o.ana, hybrid), person_id=person.id
        )
    await db.commit()
    await skills(db, o.bob, "Negotiation")
    await skills(db, guest, "Negotiation skills")

    by_member = await experts_on(db, viewer=o.vera, topic="negotiation")
    assert [(e.person.name, e.unit_name) for e in by_member] == [
        ("Bob Berg", "Sales"),
        ("Gus Guest", "Acme Corp"),
    ]
    other = await make_person(db, name="Olga Other", kind="external", organization="Acme Corp")
    await space_members.do_add_member(
        db, access=await access_to(db, o.ana, hybrid), person_id=other.id
    )
    await db.commit()
    by_guest = await experts_on(db, viewer=other, topic="negotiation")
    assert [(e.person.name, e.unit_name) for e in by_guest] == [
        ("Bob Berg", None),
        ("Gus Guest", "Acme Corp"),
    ]
