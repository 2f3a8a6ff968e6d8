"""Communities for you: ranking, reasons, and never a space the viewer may not see or join."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.discover.service import communities_for
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.discover.helpers import join, org, post, skills, space, tie
from tests.factories import access_to, make_person


def _names(found):
    return [s.space.name for s in found]


async def test_colleagues_from_other_units_outrank_colleagues_from_ones_own(
    db: AsyncSession,
) -> None:
    o = await org(db)
    home_guild = await space(db, o.sam, "Home Guild")
    away_guild = await space(db, o.ana, "Away Guild")
    await post(db, o.sam, home_guild, "From Engineering")
    await post(db, o.ana, away_guild, "From Sales")
    await tie(db, o.vera, o.sam)
    await tie(db, o.ana, o.vera)  # the other direction counts too

    found = await communities_for(db, viewer=o.vera)

    assert _names(found)[:2] == ["Away Guild", "Home Guild"]
    assert found[0].reasons[0] == "Ana Silva, who you work with, posts here"
    assert "Active this week: 1 post" in found[0].reasons
    assert found[1].reasons[0] == "Sam Same, who you work with, posts here"


async def test_two_colleagues_from_another_unit_are_named_by_their_unit(db: AsyncSession) -> None:
    o = await org(db)
    guild = await space(db, o.ana, "Sales Guild")
    await join(db, o.bob, guild)
    await post(db, o.ana, guild)
    await post(db, o.bob, guild)
    await tie(db, o.vera, o.ana)
    await tie(db, o.vera, o.bob)
    same = await space(db, o.sam, "Engineering Club")
    other = await make_person(db, name="Zed Zane", unit_id=o.eng.id)
    await join(db, other, same)
    await post(db, o.sam, same)
    await post(db, other, same)
    await tie(db, o.vera, o.sam)
    await tie(db, o.vera, other)

    found = await communities_for(db, viewer=o.vera)

    assert _names(found) == ["Sales Guild", "Engineering Club"]
    assert found[0].reasons[0] == "2 colleagues from Sales are active here"
    assert found[1].reasons[0] == "Sam Same and 1 other you work with post here"


async def test_spaces_about_the_viewers_skills_are_suggested_by_whole_words(
    db: AsyncSession,
) -> None:
    o = await org(db)
    await skills(db, o.vera, "Kubernetes", "Go")
    await space(db, o.sam, "Cloud Native", description="All things kubernetes and go.")
    await space(db, o.sam, "Kubernetes Guild")
    await space(db, o.sam, "Goodies")  # "go" inside a word is not Go
    await space(db, o.sam, "Gardening")

    found = await communities_for(db, viewer=o.vera)

    assert _names(found) == ["Cloud Native", "Kubernetes Guild"]
    assert found[0].reason == "Matches your skills: Go, Kubernetes"
    assert found[1].reason == "Matches your skills: Kubernetes"


async def test_a_newcomer_gets_the_busiest_spaces_of_the_month(db: AsyncSession) -> None:
    o = await org(db)
    newcomer = await make_person(db, name="New Person", unit_id=o.eng.id)
    busy = await space(db, o.ana, "Busy Place")
    calm = await space(db, o.ana, "Calm Place")
    await space(db, o.ana, "Silent Place")
    for _ in range(3):
        await post(db, o.ana, busy)
    await post(db, o.ana, calm)

    found = await communities_for(db, viewer=newcomer)

    assert _names(found) == ["Busy Place", "Calm Place"]
    assert found[0].reasons == ["Popular this month", "3 posts in 30 days"]


async def test_never_a_space_one_belongs_to_an_archived_a_secret_or_a_unit_space(
    db: AsyncSession,
) -> None:
    o = await org(db)
    await skills(db, o.vera, "Python")
    await tie(db, o.vera, o.ana)
    mine = await space(db, o.ana, "Python Mine")
    await join(db, o.vera, mine)
    archived = await space(db, o.ana, "Python Archive")
    secret = await space(db, o.ana, "Python Secret", visibility="secret")
    unit_space = await spaces.do_create_space(
        db, actor=o.admin, name="Python Unit", kind="unit", visibility="open", unit_id=o.sales.id
    )
    await db.commit()
    for where in (mine, archived, secret):
        await post(db, o.ana, where, "python things")
    await spaces.do_archive_space(db, access=await access_to(db, o.ana, archived))
    await db.commit()
    open_one = await space(db, o.ana, "Python Open")

    found = await communities_for(db, viewer=o.vera)

    assert _names(found) == [open_one.name]
    assert unit_space.name not in _names(found)


async def test_a_private_space_is_suggested_by_its_topic_without_saying_who_is_inside(
    db: AsyncSession,
) -> None:
    o = await org(db)
    await skills(db, o.vera, "Python")
    await tie(db, o.vera, o.ana)
    private = await space(db, o.ana, "Python Circle", visibility="private")
    for _ in range(3):
        await post(db, o.ana, private, "python")

    found = await communities_for(db, viewer=o.vera)

    assert _names(found) == ["Python Circle"]
    assert found[0].reasons == ["Matches your skills: Python"]  # not Ana, not its posts


async def test_an_external_is_offered_public_spaces_only(db: AsyncSession) -> None:
    o = await org(db)
    guest = await make_person(db, name="Gus Guest", kind="external")
    await skills(db, guest, "Python")
    await tie(db, guest, o.ana)
    community = await space(db, o.ana, "Python Community")
    hybrid = await space(db, o.ana, "Python With Partners", kind="hybrid")
    await post(db, o.ana, community)
    await post(db, o.ana, hybrid)
    public = await spaces.do_create_space(
        db, actor=o.admin, name="Python Public", kind="public", visibility="open"
    )
    await db.commit()

    found = await communities_for(db, viewer=guest)

    assert _names(found) == [public.name]
    assert found[0].reasons == ["Matches your skills: Python"]


async def test_a_space_that_talks_about_ones_skills_is_suggested(db: AsyncSession) -> None:
    o = await org(db)
    await skills(db, o.vera, "Rust")
    corner = await space(db, o.ana, "Systems Corner")
    quiet = await space(db, o.ana, "Quiet Corner")
    hidden = await space(db, o.ana, "Hidden Corner", visibility="private")
    for body in ("Rust lifetimes", "Our Rust build", "Rust at work"):
        await post(db, o.ana, corner, body)
        await post(db, o.ana, hidden, body)
    await post(db, o.ana, quiet, "Rust once")  # fewer than three: not a topic there

    found = await communities_for(db, viewer=o.vera)

    reasons = {s.space.name: s.reasons for s in found}
    assert "Talks about Rust (3 posts), from your skills" in reasons["Systems Corner"]
    for other in ("Quiet Corner", "Hidden Corner"):  # one post only; not hers to read
        assert not any(r.startswith("Talks about") for r in reasons.get(other, []))
    assert _names(found)[0] == "Systems Corner"


async def test_a_guest_is_told_who_is_active_never_from_which_unit(db: AsyncSession) -> None:
    o = await org(db)
    guest = await make_person(db, name="Gus Guest", kind="external")
    hybrid = await space(db, o.admin, "Acme project", kind="hybrid", visibility="private")
    public = await space(db, o.admin, "Open House", kind="public")
    for person in (guest, o.ana, o.bob):  # the guest sees whom they share a space with
        await space_members.do_add_member(
            db, access=await access_to(db, o.admin, hybrid), person_id=person.id
        )
    await db.commit()
    for person in (o.ana, o.bob):
        await join(db, person, public)
        await post(db, person, public)
        await tie(db, guest, person)

    found = await communities_for(db, viewer=guest)

    assert _names(found) == ["Open House"]
    assert found[0].reasons[0] == "Ana Silva and 1 other you work with post here"
    assert "Sales" not in found[0].reason
