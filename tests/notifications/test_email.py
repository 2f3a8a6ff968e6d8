"""E-mail through a real SMTP server (aiosmtpd on a free port): what arrives, when, and the
unsubscribe link in it, followed signed out."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll import mail, tasks
from atoll.conversations import reactions
from atoll.conversations import service as conversations
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.notifications import digest, service
from atoll.notifications.models import Notification, NotificationPreference
from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from atoll.wiring import make_sessions
from tests.commands import atoll
from tests.factories import HASHING, access_to, auth_headers, make_person
from tests.mailbox import Inbox, body_of
from tests.web.helpers import csrf_of

LATER = timedelta(hours=2)  # past the digest's grace period


def _unsubscribe_link(message: EmailMessage) -> str:
    found = re.search(r"Stop these e-mails \(no sign-in needed\): (\S+)", body_of(message))
    assert found, body_of(message)
    assert message["List-Unsubscribe"] == f"<{found.group(1)}>"
    return found.group(1)


async def _unsubscribe(app: Any, link: str) -> httpx.Response:
    """Follow the link as someone who is not signed in: the page, then its button (over
    https, as the link says: the app's cookies are Secure while its base URL is https)."""
    parts = urlsplit(link)
    assert parts.scheme == "https" and parts.netloc == "atoll.example.org"
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as anon:
        page = await anon.get(f"{parts.path}?{parts.query}")
        assert page.status_code == 200 and "Stop these e-mails" in page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        return await anon.post(
            parts.path, data={"csrf_token": csrf_of(page.text), "token": token.group(1)}
        )


async def _guild(db: AsyncSession, owner: Person, *members: Person) -> Space:
    space = await spaces.do_create_space(
        db, actor=owner, name="Guild", kind="community", visibility="open"
    )
    for member in members:
        await space_members.do_add_member(
            db, access=await access_to(db, owner, space), person_id=member.id
        )
    await db.commit()
    return space


async def test_a_mention_is_mailed_at_once_and_its_link_unsubscribes(
    inbox: Inbox, app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    ben = await make_person(db, name="Ben Okafor", email="ben@example.com")
    space = await spaces.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    await db.commit()
    a = await auth_headers(client, ana)
    r = await client.post(
        f"/api/v1/spaces/{space.id}/posts",
        json={"body": "Release **notes** ready, @Ben Okafor?"},
        headers=a,
    )
    assert r.status_code == 201, r.text
    post_id = r.json()["id"]
    [message] = await inbox.messages()
    assert inbox.to("ben@example.com") == [message]
    assert message["To"] == "ben@example.com" and message["From"] == "atoll@example.org"
    assert message["Subject"] == "Ana Silva mentioned you in a post in Guild"
    body = body_of(message)
    assert "> Release **notes** ready, @Ben Okafor?" in body
    assert f"Open it: https://atoll.example.org/posts/{post_id}\n" in body

    done = await _unsubscribe(app, _unsubscribe_link(message))
    assert done.status_code == 200 and "E-mail about mentions of you is off" in done.text
    prefs = await db.get(NotificationPreference, ben.id)
    assert prefs is not None and prefs.email_mentions is False and prefs.email_digest is True

    r = await client.post(
        f"/api/v1/posts/{post_id}/comments", json={"body": "@Ben Okafor?"}, headers=a
    )
    assert r.status_code == 201
    assert len(await inbox.messages()) == 1  # in the app, not by e-mail any more
    views, _ = await service.notifications_page(db, viewer=ben)
    assert [v.notification.kind for v in views] == ["mention", "mention"]


async def test_an_invitation_is_mailed_unless_turned_off(inbox: Inbox, db: AsyncSession) -> None:
    olga = await make_person(db, name="Olga")
    max_ = await make_person(db, name="Max", email="max@example.com")
    eve = await make_person(db, name="Eve", email="eve@example.com")
    await service.do_set_preferences(db, person=eve, changes={"email_invitations": False})
    space = await _guild(db, olga, max_, eve)
    [message] = await inbox.messages()
    assert message["To"] == "max@example.com"
    assert message["Subject"] == "Olga added you to Guild"
    assert f"Open it: https://atoll.example.org/spaces/{space.slug}" in body_of(message)
    assert "/notifications/unsubscribe?token=" in _unsubscribe_link(message)
    assert "invitations" in _unsubscribe_link(message)


async def test_nothing_is_mailed_about_a_change_that_was_rolled_back(
    inbox: Inbox, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben", email="ben@example.com")
    space = await _guild(db, ana, ben)
    await inbox.messages()
    inbox.received.clear()

    await conversations.do_create_post(db, author=ana, space=space, body="@Ben hi")
    await db.rollback()
    assert await inbox.messages() == []

    await db.refresh(ana)
    await db.refresh(space)
    kept = await conversations.do_create_post(db, author=ana, space=space, body="Kept")
    savepoint = await db.begin_nested()
    await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=kept, body="@Ben undone"
    )
    await savepoint.rollback()
    await db.commit()
    assert await inbox.messages() == []
    await db.refresh(kept)  # the savepoint's rollback expired what it had changed

    await conversations.do_comment(
        db, access=await access_to(db, ana, space), post=kept, body="@Ben for real"
    )
    assert await inbox.messages() == []  # not before the commit
    await db.commit()
    [message] = await inbox.messages()
    assert message["Subject"] == "Ana mentioned you in a comment in Guild"


async def test_the_daily_digest(inbox: Inbox, app: Any, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana", email="ana@example.com")
    ben = await make_person(db, name="Ben", email="ben@example.com")
    cy = await make_person(db, name="Cy", email="cy@example.com")
    await service.do_set_preferences(db, person=cy, changes={"email_invitations": False})
    space = await _guild(db, ana, ben, cy)
    post = await conversations.do_create_post(db, author=ana, space=space, body="@Ben look")
    comment = await conversations.do_comment(
        db, access=await access_to(db, cy, space), post=post, body="Nice"
    )
    await reactions.do_react(db, access=await access_to(db, ben, space), post=post, emoji="👍")
    await db.commit()
    assert {m["To"] for m in await inbox.messages()} == {"ben@example.com"}  # invitation, mention
    inbox.received.clear()

    assert await digest.do_prepare_digests(db) == 0  # too fresh: the page shows them first
    assert await digest.do_prepare_digests(db, now=utcnow() + LATER) == 2
    await db.commit()
    messages = await inbox.messages()
    [to_ana] = inbox.to("ana@example.com")
    [to_cy] = inbox.to("cy@example.com")
    assert len(messages) == 2  # Ben was e-mailed about all of his already
    assert to_ana["Subject"] == "2 unread notifications on Atoll"
    body = body_of(to_ana)
    assert "- Ben reacted 👍 to your post in Guild\n" in body
    assert f"  https://atoll.example.org/posts/{post.id}\n" in body
    assert "- Cy replied to your post in Guild\n" in body
    assert f"  https://atoll.example.org/posts/{post.id}#comment-{comment.id}\n" in body
    assert "See them all: https://atoll.example.org/notifications" in body
    assert to_cy["Subject"] == "1 unread notification on Atoll"
    assert "Ana added you to Guild" in body_of(to_cy)

    # Nothing twice: not in the same round, nor the next day without anything new.
    inbox.received.clear()
    assert await digest.do_prepare_digests(db, now=utcnow() + LATER) == 0
    assert await digest.do_prepare_digests(db, now=utcnow() + timedelta(days=1, hours=3)) == 0
    # Something new: the next digest waits a day after the last one.
    await conversations.do_comment(db, access=await access_to(db, cy, space), post=post, body="+1")
    await db.commit()
    assert await digest.do_prepare_digests(db, now=utcnow() + LATER) == 0
    assert await digest.do_prepare_digests(db, now=utcnow() + timedelta(days=1, hours=3)) == 1
    await db.commit()
    [again] = await inbox.messages()
    assert again["To"] == "ana@example.com" and again["Subject"] == "1 unread notification on Atoll"

    # Its link turns the digest off, and only the digest.
    done = await _unsubscribe(app, _unsubscribe_link(again))
    assert "the daily digest" in done.text
    await db.refresh(ana)
    prefs = await db.get(NotificationPreference, ana.id)
    assert prefs is not None
    await db.refresh(prefs)
    assert (prefs.email_digest, prefs.email_mentions) == (False, True)


async def test_read_and_unseen_notifications_stay_out_of_the_digest(
    inbox: Inbox, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana", email="ana@example.com")
    ben = await make_person(db, name="Ben", email="ben@example.com")
    space = await _guild(db, ana, ben)
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hi")
    await conversations.do_comment(db, access=await access_to(db, ben, space), post=post, body="a")
    await db.commit()
    await service.do_mark_read(db, viewer=ana, all=True)
    second = await conversations.do_create_post(db, author=ana, space=space, body="Again")
    await conversations.do_comment(
        db, access=await access_to(db, ben, space), post=second, body="b"
    )
    await conversations.do_delete_post(db, access=await access_to(db, ana, space), post=second)
    await db.commit()
    assert await digest.do_prepare_digests(db, now=utcnow() + LATER) == 0
    await db.commit()
    assert inbox.to("ana@example.com") == []


async def test_the_housekeeping_round_sends_due_digests(
    inbox: Inbox, app: Any, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana", email="ana@example.com")
    ben = await make_person(db, name="Ben", email="ben@example.com")
    space = await _guild(db, ana, ben)
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hi")
    await conversations.do_comment(db, access=await access_to(db, ben, space), post=post, body="a")
    await db.commit()
    await db.execute(update(Notification).values(created_at=utcnow() - LATER))
    await db.commit()
    await inbox.messages()
    inbox.received.clear()
    assert await tasks.send_digests(app.state.sessionmaker) == 1
    assert [m["To"] for m in await inbox.messages()] == ["ana@example.com"]
    assert await tasks.send_digests(app.state.sessionmaker) == 0


async def test_without_an_smtp_host_nothing_is_sent_and_it_says_so(
    app: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    off = settings.model_copy(update={"smtp_host": ""})
    async with make_sessions(app.state.engine, off)() as db:
        ana = await make_person(db, name="Ana")
        ben = await make_person(db, name="Ben")
        with caplog.at_level(logging.INFO, logger="atoll.email"):
            space = await _guild(db, ana, ben)
            await conversations.do_create_post(db, author=ana, space=space, body="@Ben hi")
            await db.commit()
            await mail.drain()
        assert "no SMTP host is configured" in caplog.text
        views, _ = await service.notifications_page(db, viewer=ben)
        assert len(views) == 2 and all(v.notification.emailed_at is None for v in views)
        assert await digest.do_prepare_digests(db, now=utcnow() + LATER) == 0


async def test_the_digest_command(cli_env: dict[str, str], inbox: Inbox) -> None:
    """`atoll digest` against a fresh database, as a real process, to the real SMTP server."""
    from atoll.db.engine import make_engine
    from atoll.people import service as people

    settings = Settings(
        database_url=cli_env["ATOLL_DATABASE_URL"], smtp_host="127.0.0.1", smtp_port=inbox.port
    )
    engine = make_engine(settings)
    try:
        async with make_sessions(engine, settings)() as session:
            ana = await people.do_create_person(
                session, actor=None, hashing=HASHING, name="Ana", email="ana@example.com"
            )
            ben = await people.do_create_person(
                session, actor=None, hashing=HASHING, name="Ben", email="ben@example.com"
            )
            space = await _guild(session, ana, ben)
            post = await conversations.do_create_post(session, author=ana, space=space, body="Hi")
            await conversations.do_comment(
                session, access=await access_to(session, ben, space), post=post, body="Hello"
            )
            await session.execute(update(Notification).values(created_at=utcnow() - LATER))
            await session.commit()
    finally:
        await engine.dispose()
    await inbox.messages()
    inbox.received.clear()  # the invitation, mailed while seeding

    off = await atoll(cli_env, "digest")
    assert off.exit_code == 0 and "No SMTP host is configured" in off.output
    env = {
        **cli_env,
        "ATOLL_SMTP_HOST": "127.0.0.1",
        "ATOLL_SMTP_PORT": str(inbox.port),
        "ATOLL_BASE_URL": "https://atoll.example.org",
    }
    done = await atoll(env, "digest")
    assert done.exit_code == 0, done.output
    assert "Sent 1 digest." in done.output
    [message] = inbox.received
    assert message[0] == ["ana@example.com"]
    assert "- Ben replied to your post in Guild" in body_of(message[1])
    again = await atoll(env, "digest")
    assert "Sent 0 digests." in again.output and len(inbox.received) == 1
