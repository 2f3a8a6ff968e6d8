"""Conversation pages: the feed on the home page, composing, a post's thread and its actions."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import reactions, service
from atoll.conversations.models import Comment, Post, Reaction
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from tests.factories import access_to, make_person
from tests.web.helpers import asks, confirmation, csrf_of, sign_in


async def _community(db: AsyncSession, owner, *members, **kw):  # type: ignore[no-untyped-def]
    space = await spaces.do_create_space(
        db, actor=owner, **{"kind": "community", "visibility": "open", "name": "Guild", **kw}
    )
    for m in members:
        await space_members.do_add_member(
            db, access=await access_to(db, owner, space), person_id=m.id
        )
    await db.commit()
    return space


async def test_post_from_the_home_composer_and_see_it_in_the_feed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor")
    space = await _community(db, ana, ben)
    await sign_in(client, ana.email)
    home = await client.get("/")
    assert "Share with" in home.text and "Visible to" in home.text
    posted = await client.post(
        "/posts",
        data={
            "csrf_token": csrf_of(home.text),
            "space_id": str(space.id),
            "kind": "question",
            "body": "Who knows **asyncio**? @Ben Okafor",
        },
        files={"files": ("notes.txt", b"plain notes", "application/x-evil")},
    )
    assert posted.status_code == 303
    post = (await db.execute(select(Post))).scalar_one()
    feed = await client.get("/")
    assert "<strong>asyncio</strong>" in feed.text and "Guild" in feed.text
    assert "notes.txt" in feed.text
    questions = await client.get("/?filter=questions")
    assert f'id="post-{post.id}"' in questions.text
    ideas = await client.get("/?filter=ideas")
    assert f'id="post-{post.id}"' not in ideas.text

    ben_client = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with ben_client:
        await sign_in(ben_client, ben.email)
        assert "Who knows" in (await ben_client.get("/")).text


async def test_bad_posts_keep_the_draft_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    outsider = await make_person(db, name="Zed Outsider")
    space = await _community(db, ana, visibility="private", name="Private club")
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    empty = await client.post(
        "/posts", data={"csrf_token": token, "space_id": str(space.id), "body": "  "}
    )
    assert empty.status_code == 422 and "Your post was not published" in empty.text
    hidden = await client.post(
        "/posts",
        data={
            "csrf_token": token,
            "space_id": str(space.id),
            "body": "Psst @Zed Outsider",
        },
    )
    assert hidden.status_code == 422 and "Psst @Zed Outsider" in hidden.text
    assert (await db.execute(select(Post))).first() is None
    del outsider


async def test_thread_comment_reply_react_accept(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _community(db, ana, ben)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    await client.post(
        "/posts",
        data={
            "csrf_token": token,
            "space_id": str(space.id),
            "kind": "question",
            "body": "Best editor?",
        },
    )
    post = (await db.execute(select(Post))).scalar_one()
    page = await client.get(f"/posts/{post.id}")
    assert page.status_code == 200 and "Your answer" in page.text
    done = await client.post(
        f"/posts/{post.id}/comments", data={"csrf_token": token, "body": "Vim, obviously"}
    )
    assert done.status_code == 303
    comment = (await db.execute(select(Comment))).scalar_one()
    reply = await client.post(
        f"/posts/{post.id}/comments",
        data={"csrf_token": token, "body": "Agreed", "parent_id": str(comment.id)},
    )
    assert reply.status_code == 303
    htmx = await client.post(
        f"/posts/{post.id}/react",
        data={"csrf_token": token, "emoji": "👍"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and 'aria-pressed="true"' in htmx.text and "👍 1" in htmx.text
    assert (await db.execute(select(Reaction))).scalar_one().emoji == "👍"
    accepted = await client.post(
        f"/posts/{post.id}/accept", data={"csrf_token": token, "comment_id": str(comment.id)}
    )
    assert accepted.status_code == 303
    thread = await client.get(f"/posts/{post.id}")
    assert (
        "✓ Accepted answer" in thread.text
        and "Vim, obviously" in thread.text
        and "Agreed" in thread.text
    )
    bad = await client.post(f"/posts/{post.id}/react", data={"csrf_token": token, "emoji": "🦄"})
    assert bad.status_code == 422


async def test_edit_keeps_history_and_delete_hides(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    space = await _community(db, ana)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    await client.post(
        "/posts", data={"csrf_token": token, "space_id": str(space.id), "body": "First words"}
    )
    post = (await db.execute(select(Post))).scalar_one()
    assert (await client.get(f"/posts/{post.id}/edit")).status_code == 200
    await client.post(f"/posts/{post.id}/edit", data={"csrf_token": token, "body": "Better words"})
    page = await client.get(f"/posts/{post.id}")
    assert "Better words" in page.text and "edited" in page.text
    history = await client.get(f"/posts/{post.id}/history")
    assert "First words" in history.text and "Better words" in history.text
    gone = await client.post(f"/posts/{post.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert (await client.get(f"/posts/{post.id}")).status_code == 404
    assert "Better words" not in (await client.get(f"/spaces/{space.slug}")).text


async def test_ideas_vote_and_status(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _community(db, ana, ben)
    await sign_in(client, ben.email)
    token = csrf_of((await client.get("/")).text)
    await client.post(
        "/posts",
        data={
            "csrf_token": token,
            "space_id": str(space.id),
            "kind": "idea",
            "body": "Four-day week",
        },
    )
    post = (await db.execute(select(Post))).scalar_one()
    voted = await client.post(
        f"/posts/{post.id}/vote", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert "1 vote" in voted.text and "Voted" in voted.text
    refused = await client.post(
        f"/posts/{post.id}/idea", data={"csrf_token": token, "idea_status": "adopted"}
    )
    assert refused.status_code == 403
    ideas_tab = await client.get(f"/spaces/{space.slug}?tab=ideas")
    assert "Four-day week" in ideas_tab.text


async def test_space_tab_loads_more_on_scroll(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    space = await _community(db, ana)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    for i in range(17):
        await client.post(
            "/posts",
            data={"csrf_token": token, "space_id": str(space.id), "body": f"Note number {i}"},
        )
    page = await client.get(f"/spaces/{space.slug}")
    assert "Note number 16" in page.text and "Note number 1<" not in page.text
    more = re.search(r'hx-get="([^"]+)"\s+hx-trigger="revealed"', page.text)
    assert more
    rest = await client.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert "Note number 0" in rest.text and "<html" not in rest.text


async def test_signed_out_reader_of_a_public_space(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, role="admin", name="Admin")
    space = await _community(db, admin, kind="public", name="Open House")
    post = await __import__(
        "atoll.conversations.service", fromlist=["do_create_post"]
    ).do_create_post(db, author=admin, space=space, body="Hello world, everyone")
    await db.commit()
    page = await client.get("/spaces/open-house")
    assert "Hello world, everyone" in page.text and "Share with" not in page.text
    thread = await client.get(f"/posts/{post.id}")
    assert thread.status_code == 200 and "Sign in</a> to comment" in thread.text


async def test_follow_a_person_and_a_space_from_their_pages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben Okafor")
    space = await _community(db, ben, name="Ben's corner")
    from atoll.conversations.service import do_create_post

    await do_create_post(db, author=ben, space=space, body="Ben writes here")
    await db.commit()
    await sign_in(client, ana.email)
    assert "Ben writes here" not in (await client.get("/")).text
    profile = await client.get(f"/people/{ben.id}")
    assert "Follow Ben" in profile.text
    done = await client.post(
        f"/follow/person/{ben.id}", data={"csrf_token": csrf_of(profile.text), "action": "follow"}
    )
    assert done.status_code == 303
    assert "Following ✓" in (await client.get(f"/people/{ben.id}")).text
    assert "Ben writes here" in (await client.get("/")).text
    await client.post(
        f"/follow/person/{ben.id}", data={"csrf_token": csrf_of(profile.text), "action": "unfollow"}
    )
    assert "Ben writes here" not in (await client.get("/")).text
    page = await client.get(f"/spaces/{space.slug}")
    assert ">Follow<" in page.text
    await client.post(
        f"/follow/space/{space.id}", data={"csrf_token": csrf_of(page.text), "action": "follow"}
    )
    assert "Ben writes here" in (await client.get("/")).text


async def test_comment_history_page(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    space = await _community(db, ana)
    await sign_in(client, ana.email)
    token = csrf_of((await client.get("/")).text)
    await client.post(
        "/posts", data={"csrf_token": token, "space_id": str(space.id), "body": "A post"}
    )
    post = (await db.execute(select(Post))).scalar_one()
    await client.post(f"/posts/{post.id}/comments", data={"csrf_token": token, "body": "Frist!"})
    comment = (await db.execute(select(Comment))).scalar_one()
    await client.post(f"/comments/{comment.id}/edit", data={"csrf_token": token, "body": "First!"})
    thread = await client.get(f"/posts/{post.id}")
    assert f'href="/comments/{comment.id}/history"' in thread.text
    history = await client.get(f"/comments/{comment.id}/history")
    assert history.status_code == 200
    assert "Frist!" in history.text and "First!" in history.text
    assert "Back to the comment" in history.text
    post_history = await client.get(f"/posts/{post.id}/history")
    assert "This post was never edited." in post_history.text


# --- deleting asks first ----------------------------------------------------------------------


async def _thread(db: AsyncSession, space, author, *others, kind: str = "update"):  # type: ignore[no-untyped-def]
    """A post by ``author``, a comment by each of ``others`` and a reaction of each."""
    post = await service.do_create_post(db, author=author, space=space, body="Hello", kind=kind)
    comments = []
    for person in others:
        comments.append(
            await service.do_comment(
                db, access=await access_to(db, person, space), post=post, body="Hi " + person.name
            )
        )
        await reactions.do_react(
            db, access=await access_to(db, person, space), post=post, emoji="👍"
        )
    await db.commit()
    return post, comments


async def test_deleting_a_post_asks_first_and_says_what_goes_with_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    cleo = await make_person(db, name="Cleo")
    space = await _community(db, ana, ben, cleo)
    post, _ = await _thread(db, space, ana, ben, cleo)
    await sign_in(client, ana.email)
    page = await client.get(f"/posts/{post.id}")
    action = f"/posts/{post.id}/delete"
    assert f'method="post" action="{action}"' not in page.text  # no one-click delete
    button = asks(page.text)[action]

    confirm = await client.get(action)
    assert confirm.status_code == 200
    asked = confirmation(confirm.text)
    assert asked["question"] == button["question"] == "Delete this post?"
    assert (
        asked["detail"]
        == button["detail"]
        == (
            "It disappears for everyone, with its 2 comments and 2 reactions. You can undo this "
            "right after, or restore it from “Recently deleted” for 30 days; then it is gone for "
            "good."
        )
    )
    assert asked["confirm"] == button["confirm"] == "Delete the post"
    assert (asked["action"], asked["back"]) == (action, f"/posts/{post.id}")
    assert "Hello" in confirm.text  # what would go
    assert (await client.get(f"/posts/{post.id}")).status_code == 200  # asking changed nothing

    done = await client.post(action, data={"csrf_token": asked["csrf"]})
    assert (
        done.status_code == 303
        and done.headers["location"] == f"/spaces/{space.slug}?deleted={post.id}"
    )
    assert (await client.get(f"/posts/{post.id}")).status_code == 404


async def test_deleting_a_comment_asks_first_and_says_what_goes_with_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    space = await _community(db, ana, ben)
    question, (answer,) = await _thread(db, space, ana, ben, kind="question")
    await service.do_comment(
        db,
        access=await access_to(db, ana, space),
        post=question,
        body="Thanks",
        parent_id=answer.id,
    )
    await reactions.do_accept(
        db, access=await access_to(db, ana, space), post=question, comment_id=answer.id
    )
    await db.commit()
    await sign_in(client, ben.email)
    page = await client.get(f"/posts/{question.id}")
    action = f"/comments/{answer.id}/delete"
    assert f'method="post" action="{action}"' not in page.text
    button = asks(page.text)[action]
    # The button's name for screen readers: "Delete the comment by Ben".
    assert 'Delete<span class="visually-hidden"> the comment by Ben</span>' in page.text

    confirm = await client.get(action)
    assert confirm.status_code == 200
    asked = confirmation(confirm.text)
    assert asked["question"] == button["question"] == "Delete this comment?"
    assert (
        asked["detail"]
        == button["detail"]
        == (
            "It disappears for everyone, with its 1 reply. The question will no longer have an "
            "accepted answer. You can undo this right after, or restore it from “Recently "
            "deleted” for 30 days."
        )
    )
    assert asked["back"] == f"/posts/{question.id}#comment-{answer.id}"
    assert "Hi Ben" in confirm.text

    done = await client.post(asked["action"], data={"csrf_token": asked["csrf"]})
    assert done.status_code == 303
    thread = await client.get(f"/posts/{question.id}")
    assert "Hi Ben" not in thread.text and "Accepted answer" not in thread.text


async def test_who_may_not_delete_gets_the_same_answer_from_the_question_as_from_the_action(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    outsider = await make_person(db, name="Otto")
    space = await _community(db, ana, ben)
    post, (comment,) = await _thread(db, space, ana, ben)
    secret = await _community(db, ana, name="Hush", visibility="secret")
    hidden, _ = await _thread(db, secret, ana)
    await sign_in(client, outsider.email)
    token = csrf_of((await client.get("/")).text)
    cases = [
        (f"/posts/{post.id}/delete", 403),  # may read it, may not delete it
        (f"/comments/{comment.id}/delete", 403),
        (f"/posts/{hidden.id}/delete", 404),  # a secret space's post: no such post
        ("/posts/999999/delete", 404),
        ("/comments/999999/delete", 404),
    ]
    for path, status in cases:
        assert (await client.get(path)).status_code == status, path
        assert (await client.post(path, data={"csrf_token": token})).status_code == status, path
    await spaces.do_archive_space(db, access=await access_to(db, ana, space))
    await db.commit()
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as own:
        await sign_in(own, ana.email)
        token = csrf_of((await own.get("/")).text)
        for path in (f"/posts/{post.id}/delete", f"/comments/{comment.id}/delete"):
            asked = await own.get(path)  # the author, but the space is read-only now
            assert asked.status_code == 409 and "archived" in asked.text, path
            assert (await own.post(path, data={"csrf_token": token})).status_code == 409, path
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as anon:
        signed_out = await anon.get(f"/posts/{post.id}/delete")
        assert signed_out.status_code == 303
        assert signed_out.headers["location"].startswith("/sign-in")
    assert (await db.get(Post, post.id)).deleted_at is None  # type: ignore[union-attr]
