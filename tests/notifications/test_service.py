"""Notifications made by the service calls that change things: who is told what, batching,
and never about what the recipient cannot see, nor about their own actions."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.events.models import Event
from atoll.notifications import service
from atoll.notifications.models import Notification
from atoll.notifications.views import NotificationView
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from tests.factories import access_to, make_person


async def _space(db: AsyncSession, owner: Person, *members: Person, **kw: str) -> Space:
    space = await spaces.do_create_space(
        db,
        actor=owner,
        name=kw.get("name", "Guild"),
        kind=kw.get("kind", "community"),
        visibility=kw.get("visibility", "open"),
    )
    for member in members:
        await space_members.do_add_member(
            db, access=await access_to(db, owner, space), person_id=member.id
        )
    await db.commit()
    return space


async def _told(db: AsyncSession, person: Person, kind: str | None = None) -> list[str]:
    """The texts of the person's notifications (of one kind), newest first."""
    views, _ = await service.notifications_page(db, viewer=person, limit=100)
    return [v.text for v in views if kind is None or v.notification.kind == kind]


async def _views(db: AsyncSession, person: Person, kind: str) -> list[NotificationView]:
    views, _ = await service.notifications_page(db, viewer=person, limit=100)
    return [v for v in views if v.notification.kind == kind]


async def test_a_mention_tells_the_person_mentioned_and_not_the_author(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor")
    space = await _space(db, ana, ben)
    post = await conversations.do_create_post(
        db, author=ana, space=space, body="Ideas, @Ben Okafor? And me, @Ana Silva."
    )
    await db.commit()
    assert await _told(db, ben, "mention") == ["Ana Silva mentioned you in a post in Guild"]
    assert await _told(db, ana) == []
    [view] = await _views(db, ben, "mention")
    assert view.url == f"/posts/{post.id}"

    comment = await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=post, body=f"Ping @[{ben.id}]"
    )
    await db.commit()
    [latest, _] = await _views(db, ben, "mention")
    assert latest.text == "Ana Silva mentioned you in a comment in Guild"
    assert latest.url == f"/posts/{post.id}#comment-{comment.id}"


async def test_editing_in_a_new_mention_tells_only_the_newly_mentioned(db: AsyncSession) -> None:
    ana, ben, cy = [await make_person(db, name=n) for n in ("Ana", "Ben", "Cy")]
    space = await _space(db, ana, ben, cy)
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hi @Ben")
    await conversations.do_edit_post(
        db, access=await access_to(db, ana, space), post=post, body="Hi @Ben, @Cy"
    )
    await db.commit()
    assert len(await _told(db, ben, "mention")) == 1
    assert len(await _told(db, cy, "mention")) == 1


async def test_replies_tell_the_post_author_and_the_comment_author(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    cy = await make_person(db, name="Cy")
    space = await _space(db, ana, ben, cy)
    post = await conversations.do_create_post(db, author=ana, space=space, body="Lunch?")
    top = await conversations.do_comment(
        db, access=await access_to(db, ben, space), post=post, body="Yes"
    )
    await db.commit()
    assert await _told(db, ana, "reply") == ["Ben replied to your post in Guild"]

    reply = await conversations.do_comment(
        db, access=await access_to(db, cy, space), post=post, body="Me too", parent_id=top.id
    )
    await db.commit()
    [to_ben] = await _views(db, ben, "reply")
    assert to_ben.text == "Cy replied to your comment in Guild"
    assert to_ben.url == f"/posts/{post.id}#comment-{reply.id}"
    assert (await _told(db, ana, "reply"))[0] == "Cy replied to your post in Guild"

    # One's own comment on one's own post tells nobody; a mention is not told twice.
    await conversations.do_comment(db, access=await access_to(db, ana, space), post=post, body="ok")
    await conversations.do_comment(
        db, access=await access_to(db, cy, space), post=post, body="@Ben see", parent_id=top.id
    )
    await db.commit()
    assert len(await _told(db, ana, "reply")) == 3
    assert len(await _told(db, ben, "reply")) == 1
    assert len(await _told(db, ben, "mention")) == 1


async def test_reactions_are_batched_while_unread(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    others = [await make_person(db, name=n) for n in ("Ben", "Cy", "Di", "Ed", "Flo")]
    space = await _space(db, ana, *others)
    post = await conversations.do_create_post(db, author=ana, space=space, body="Shipped!")
    await reactions.do_react(db, access=await access_to(db, ana, space), post=post, emoji="👍")
    await db.commit()
    assert await _told(db, ana, "reaction") == []  # one's own reaction

    await reactions.do_react(
        db, access=await access_to(db, others[0], space), post=post, emoji="👍"
    )
    await db.commit()
    assert await _told(db, ana, "reaction") == ["Ben reacted 👍 to your post in Guild"]
    for person in others[1:]:
        await reactions.do_react(
            db, access=await access_to(db, person, space), post=post, emoji="👍"
        )
        await db.commit()
    # Ben again, with another emoji: still five people.
    await reactions.do_react(
        db, access=await access_to(db, others[0], space), post=post, emoji="🎉"
    )
    await db.commit()
    [batch] = await _views(db, ana, "reaction")
    assert batch.notification.count == 5 and batch.notification.actor_id == others[0].id
    assert batch.text == "Ben and 4 others reacted 👍 🎉 to your post in Guild"
    assert batch.url == f"/posts/{post.id}"

    # Once read, the next reaction starts a new notification.
    assert await service.do_mark_read(db, viewer=ana, ids=[batch.notification.id]) == 1
    await reactions.do_react(db, access=await access_to(db, others[1], space), post=post, emoji="❤️")
    await db.commit()
    newest, older = await _views(db, ana, "reaction")
    assert newest.text == "Cy reacted ❤️ to your post in Guild"
    assert older.notification.read_at is not None


async def test_invitations_join_requests_and_their_answers(db: AsyncSession) -> None:
    owner = await make_person(db, name="Olga")
    mod = await make_person(db, name="Mo")
    member = await make_person(db, name="Max")
    asker = await make_person(db, name="Ada")
    other = await make_person(db, name="Bo")
    space = await _space(db, owner, member, visibility="private", name="Club")
    await space_members.do_add_member(
        db, access=await access_to(db, owner, space), person_id=mod.id, role="moderator"
    )
    await db.commit()
    assert await _told(db, member) == ["Olga added you to Club"]
    assert await _told(db, mod) == ["Olga added you to Club as moderator"]
    assert await _told(db, owner) == []  # nobody hears of their own doing
    [invitation] = await _views(db, member, "invitation")
    assert invitation.url == f"/spaces/{space.slug}"

    assert await space_members.do_join(db, actor=asker, space=space) == "requested"
    await db.commit()
    assert await _told(db, owner, "join_request") == ["Ada asked to join Club"]
    assert await _told(db, mod, "join_request") == ["Ada asked to join Club"]
    assert await _told(db, member, "join_request") == []
    [request_view] = await _views(db, owner, "join_request")
    assert request_view.url == f"/spaces/{space.slug}?tab=members"

    by_mod = await access_to(db, mod, space)
    [(request, _)] = await space_members.pending_requests(db, access=by_mod)
    await space_members.do_decide_request(db, access=by_mod, request_id=request.id, approve=True)
    await db.commit()
    assert await _told(db, asker) == ["Mo approved your request to join Club"]

    await space_members.do_join(db, actor=other, space=space)
    [(request, _)] = await space_members.pending_requests(
        db, access=await access_to(db, owner, space)
    )
    await space_members.do_decide_request(
        db, access=await access_to(db, owner, space), request_id=request.id, approve=False
    )
    await db.commit()
    # Declined, Bo still may know the private space exists: told, with a link to it.
    assert await _told(db, other) == ["Olga declined your request to join Club"]


async def test_accepted_answers_and_idea_statuses(db: AsyncSession) -> None:
    owner = await make_person(db, name="Olga")
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, owner, ana, ben)
    question = await conversations.do_create_post(
        db, author=ana, space=space, body="How?", kind="question"
    )
    answer = await conversations.do_comment(
        db, access=await access_to(db, ben, space), post=question, body="Like so"
    )
    own = await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=question, body="Or so"
    )
    await reactions.do_accept(
        db, access=await access_to(db, ana, space), post=question, comment_id=answer.id
    )
    await db.commit()
    [accepted] = await _views(db, ben, "accepted")
    assert accepted.text == "Ana accepted your answer in Guild"
    assert accepted.url == f"/posts/{question.id}#comment-{answer.id}"
    await reactions.do_accept(
        db, access=await access_to(db, ana, space), post=question, comment_id=own.id
    )
    await db.commit()
    assert await _told(db, ana, "accepted") == []

    idea = await conversations.do_create_post(db, author=ana, space=space, body="Naps", kind="idea")
    for status in ("reviewing", "reviewing", "adopted"):
        await reactions.do_set_idea_status(
            db, access=await access_to(db, owner, space), post=idea, status=status
        )
    await db.commit()
    assert await _told(db, ana, "idea_status") == [
        "Olga moved your idea to Adopted in Guild",
        "Olga moved your idea to Reviewing in Guild",
    ]
    mine = await conversations.do_create_post(
        db, author=owner, space=space, body="Mine", kind="idea"
    )
    await reactions.do_set_idea_status(
        db, access=await access_to(db, owner, space), post=mine, status="declined"
    )
    await db.commit()
    assert await _told(db, owner, "idea_status") == []


async def test_nobody_is_told_about_a_space_they_cannot_read(db: AsyncSession) -> None:
    owner = await make_person(db, name="Olga")
    ana = await make_person(db, name="Ana")
    space = await _space(db, owner, ana, visibility="private", name="Club")
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hello")
    await space_members.do_remove_member(
        db, access=await access_to(db, owner, space), person_id=ana.id
    )
    await db.commit()
    # A comment on Ana's post, a reaction to it, after she was removed: she hears nothing.
    await conversations.do_comment(
        db, access=await access_to(db, owner, space), post=post, body="Hi"
    )
    await reactions.do_react(db, access=await access_to(db, owner, space), post=post, emoji="👍")
    await db.commit()
    count = await db.scalar(
        select(Notification.id).where(
            Notification.person_id == ana.id, Notification.kind != "invitation"
        )
    )
    assert count is None
    # What she was told while a member is out of sight now, in the list and in the count.
    assert await _told(db, ana) == []
    assert await service.unread_count(db, viewer=ana) == 0


async def test_what_goes_out_of_sight_leaves_the_list_and_the_count(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben, visibility="private", name="Club")
    post = await conversations.do_create_post(db, author=ana, space=space, body="@Ben look")
    top = await conversations.do_comment(
        db, access=await access_to(db, ben, space), post=post, body="a"
    )
    reply = await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=post, body="b", parent_id=top.id
    )
    await db.commit()
    assert await service.unread_count(db, viewer=ben) == 3  # invitation, mention, reply
    await conversations.do_delete_comment(
        db, access=await access_to(db, ben, space), comment=top, post=post
    )
    await db.commit()
    assert reply.id and await _told(db, ben, "reply") == []  # the reply left with its parent
    await conversations.do_delete_post(db, access=await access_to(db, ana, space), post=post)
    await db.commit()
    assert await _told(db, ben) == ["Ana added you to Club"]
    assert await service.unread_count(db, viewer=ben) == 1


async def test_mark_read_one_by_one_or_all_and_only_ones_own(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben)
    for n in range(3):
        await conversations.do_create_post(db, author=ana, space=space, body=f"{n} @Ben")
    await db.commit()
    views, _ = await service.notifications_page(db, viewer=ben, unread=True)
    assert len(views) == 4
    assert await service.do_mark_read(db, viewer=ana, ids=[views[0].notification.id]) == 0
    assert await service.do_mark_read(db, viewer=ben, ids=[views[0].notification.id, "x"]) == 1
    assert await service.do_mark_read(db, viewer=ben, ids=[views[0].notification.id]) == 0
    await db.commit()
    assert await service.unread_count(db, viewer=ben) == 3
    unread, _ = await service.notifications_page(db, viewer=ben, unread=True)
    assert [v.notification.id for v in unread] == [v.notification.id for v in views[1:]]
    assert await service.do_mark_read(db, viewer=ben, all=True) == 3
    await db.commit()
    assert await service.unread_count(db, viewer=ben) == 0
    everything, _ = await service.notifications_page(db, viewer=ben)
    assert len(everything) == 4


async def test_pages_of_notifications_newest_first(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben)
    for n in range(5):
        await conversations.do_create_post(db, author=ana, space=space, body=f"{n} @Ben")
    await db.commit()
    seen: list[int] = []
    cursor = None
    while True:
        views, cursor = await service.notifications_page(db, viewer=ben, cursor=cursor, limit=2)
        seen += [v.notification.id for v in views]
        if cursor is None:
            break
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)


async def test_each_notification_is_an_event_for_its_recipient_alone(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben)
    await conversations.do_create_post(db, author=ana, space=space, body="@Ben hi")
    await db.commit()
    rows = (
        (await db.execute(select(Event).where(Event.type == "notification").order_by(Event.id)))
        .scalars()
        .all()
    )
    assert [r.person_id for r in rows] == [ben.id, ben.id]  # the invitation, the mention
    assert all(r.space_id is None for r in rows)
    data = json.loads(rows[-1].data)
    assert data["unread"] == 2
    assert data["notification"]["text"] == "Ana mentioned you in a post in Guild"
    await service.do_mark_read(db, viewer=ben, all=True)
    await db.commit()
    last = (await db.execute(select(Event).order_by(Event.id.desc()).limit(1))).scalar_one()
    assert last.type == "notification" and json.loads(last.data) == {"unread": 0}


async def test_a_rolled_back_change_leaves_no_notification(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _space(db, ana, ben)
    await conversations.do_create_post(db, author=ana, space=space, body="@Ben hi")
    await db.rollback()
    await db.refresh(ben)
    assert await _told(db, ben, "mention") == []


async def test_each_viewer_counts_their_own_unread_that_they_may_still_see(
    db: AsyncSession,
) -> None:
    """The unread count's statement is built once per kind of viewer and reused: each viewer
    still gets their own number, and what they can no longer read drops out of it."""
    owner = await make_person(db, name="Owner")
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    admin = await make_person(db, name="Root", role="admin")
    private = await _space(db, owner, ana, ben, admin, name="Inner", visibility="private")
    await conversations.do_create_post(
        db, author=owner, space=private, body=f"Hi @[{ana.id}], @[{ben.id}] and @[{admin.id}]"
    )
    await conversations.do_create_post(db, author=owner, space=private, body=f"Again @[{ana.id}]")
    await db.commit()
    counts = [await service.unread_count(db, viewer=p) for p in (ana, ben, admin, owner)]
    assert counts == [3, 2, 2, 0]  # being added to the space, and the mentions
    await space_members.do_remove_member(
        db, access=await access_to(db, owner, private), person_id=ana.id
    )
    await db.commit()
    assert await service.unread_count(db, viewer=ana) == 0
    assert await service.unread_count(db, viewer=ben) == 2
