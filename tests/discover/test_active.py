"""What is active in your network this week."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.discover.service import active_for
from tests.discover.helpers import comment, join, org, post, space, tie
from tests.factories import access_to


async def test_the_busiest_readable_posts_with_who_took_part(db: AsyncSession) -> None:
    o = await org(db)
    guild = await space(db, o.ana, "Guild")
    busy = await post(db, o.ana, guild, "Busy thread")
    quiet = await post(db, o.ana, guild, "Quiet thread")
    await post(db, o.ana, guild, "Nobody answered")
    for who in (o.bob, o.sam, o.bob):
        await comment(db, who, busy, guild)
    await comment(db, o.bob, quiet, guild)
    await reactions.do_react(db, access=await access_to(db, o.sam, guild), post=busy, emoji="👍")
    await db.commit()
    await tie(db, o.vera, o.bob)
    await tie(db, o.vera, o.sam)

    found = await active_for(db, viewer=o.vera)

    assert [a.snippet for a in found] == ["Busy thread", "Quiet thread"]
    assert found[0].reason == (
        "3 comments and 1 reaction this week · Bob Berg and 1 other you know took part"
    )
    assert found[1].reason == "1 comment this week · Bob Berg, who you know, took part"


async def test_people_one_knows_and_ones_own_spaces_lift_a_post(db: AsyncSession) -> None:
    o = await org(db)
    far = await space(db, o.ana, "Far")
    near = await space(db, o.ana, "Near")
    await join(db, o.vera, near)
    strangers = await post(db, o.ana, far, "Strangers talk")
    friends = await post(db, o.ana, far, "Friends talk")
    mine = await post(db, o.ana, near, "In my space")
    for who in (o.sam, o.admin, o.ana):
        await comment(db, who, strangers, far)
    await comment(db, o.bob, friends, far)
    await comment(db, o.sam, mine, near)
    await tie(db, o.vera, o.bob)

    found = await active_for(db, viewer=o.vera)

    # strangers: 3; friends: 1 + 3 for Bob; mine: 1 + 5 for a space Vera belongs to
    assert [a.snippet for a in found] == ["In my space", "Friends talk", "Strangers talk"]
    assert found[0].reasons[-1] == "In Near, one of your spaces"


async def test_never_a_post_from_a_space_one_may_not_read_nor_a_deleted_one(
    db: AsyncSession,
) -> None:
    o = await org(db)
    secret = await space(db, o.ana, "Secret", visibility="secret", member_ids=[o.bob.id])
    private = await space(db, o.ana, "Private", visibility="private", member_ids=[o.bob.id])
    guild = await space(db, o.ana, "Guild")
    hidden = await post(db, o.ana, secret, "Secret plans")
    await comment(db, o.bob, hidden, secret)
    inside = await post(db, o.ana, private, "Private talk")
    await comment(db, o.bob, inside, private)
    gone = await post(db, o.ana, guild, "Deleted later")
    await comment(db, o.bob, gone, guild)
    await conversations.do_delete_post(db, access=await access_to(db, o.ana, guild), post=gone)
    await db.commit()
    await tie(db, o.vera, o.bob)

    assert await active_for(db, viewer=o.vera) == []
    assert sorted(a.snippet for a in await active_for(db, viewer=o.bob)) == [
        "Private talk",
        "Secret plans",
    ]


async def test_the_snippet_reads_as_the_post_does(db: AsyncSession) -> None:
    o = await org(db)
    guild = await space(db, o.ana, "Guild")
    shiny = await post(
        db, o.ana, guild, f"**Big** news, thanks @[{o.bob.id}] for [it](https://x.example)\n\nMore"
    )
    await comment(db, o.bob, shiny, guild)
    await db.commit()

    found = await active_for(db, viewer=o.vera)

    assert [a.snippet for a in found] == ["Big news, thanks @Bob Berg for it"]
