"""Notification pages: the bell on every page, the list with mark read one by one and all,
following a notification to the exact place, preferences, and unsubscribing signed out."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service as conversations
from atoll.kit.settings import Settings
from atoll.notifications import email, service
from atoll.notifications.models import NotificationPreference
from atoll.people.models import Person
from atoll.spaces import service as spaces
from tests.factories import access_to, make_person
from tests.web.helpers import csrf_of, sign_in


async def _mentioned(db: AsyncSession, ana: Person, ben: Person, times: int = 1):  # type: ignore[no-untyped-def]
    space = await spaces.do_create_space(
        db, actor=ana, name="Guild", kind="community", visibility="open"
    )
    post = await conversations.do_create_post(db, author=ana, space=space, body="Hi")
    comments = [
        await conversations.do_comment(
            db, access=await access_to(db, ana, space), post=post, body=f"{n} @[{ben.id}]"
        )
        for n in range(times)
    ]
    await db.commit()
    return post, comments


def _bell(html: str) -> str:
    match = re.search(r'<a id="bell"[^>]*>', html)
    assert match, "no bell on the page"
    return match.group(0)


async def test_the_bell_shows_the_unread_count_on_every_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    await sign_in(client, ben.email)
    home = await client.get("/")
    assert 'aria-label="Notifications, 0 unread"' in _bell(home.text)
    assert 'id="bell-live"' in home.text and 'aria-live="polite"' in home.text
    await _mentioned(db, ana, ben, times=3)
    for path in ("/", "/spaces", "/people", f"/people/{ben.id}"):
        page = await client.get(path)
        assert page.status_code == 200, path
        bell = _bell(page.text)
        assert 'aria-label="Notifications, 3 unread"' in bell and 'href="/notifications"' in bell
        assert re.search(r'class="bell-count"[^>]*>3</span>', page.text), path


async def test_the_list_links_to_the_exact_place_and_marks_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    post, [first, second] = await _mentioned(db, ana, ben, times=2)
    await sign_in(client, ben.email)
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert page.text.count(">Ana mentioned you in a comment in Guild</a>") == 2
    views, _ = await service.notifications_page(db, viewer=ben)
    newest, older = (v.notification.id for v in views)
    assert f'href="/notifications/{newest}/open"' in page.text

    opened = await client.get(f"/notifications/{newest}/open")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/posts/{post.id}#comment-{second.id}"
    assert "Notifications, 1 unread" in _bell((await client.get("/")).text)

    # One by one, as a plain form and with htmx (the item and the bell come back).
    page = await client.get("/notifications?show=unread")
    assert f'id="n-{older}"' in page.text and f'id="n-{newest}"' not in page.text
    token = csrf_of(page.text)
    swapped = await client.post(
        f"/notifications/{older}/read", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert f'id="n-{older}"' in swapped.text and "Mark read" not in swapped.text
    assert 'hx-swap-oob="true"' in swapped.text and "Notifications, 0 unread" in swapped.text
    assert "You have read everything" in (await client.get("/notifications?show=unread")).text
    assert first.id


async def test_mark_all_read_and_forms_need_their_token(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    await _mentioned(db, ana, ben, times=3)
    await sign_in(client, ben.email)
    page = await client.get("/notifications")
    assert "Mark all as read" in page.text
    forged = await client.post("/notifications/read-all", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert await service.unread_count(db, viewer=ben) == 3
    done = await client.post("/notifications/read-all", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    after = await client.get(done.headers["location"])
    assert "All your notifications are marked read" in after.text
    assert "Mark all as read" not in after.text
    assert "Notifications, 0 unread" in _bell(after.text)


async def test_someone_elses_notification_is_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")
    await _mentioned(db, ana, ben)
    [view], _ = await service.notifications_page(db, viewer=ben)
    await sign_in(client, ana.email)
    assert (await client.get(f"/notifications/{view.notification.id}/open")).status_code == 404
    token = csrf_of((await client.get("/notifications")).text)
    r = await client.post(f"/notifications/{view.notification.id}/read", data={"csrf_token": token})
    assert r.status_code == 404
    assert await service.unread_count(db, viewer=ben) == 1


async def test_signed_out_goes_to_sign_in(client: httpx.AsyncClient) -> None:
    for path in ("/notifications", "/notifications/preferences"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")


async def test_empty_list_teaches(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ben = await make_person(db, name="Ben")
    await sign_in(client, ben.email)
    page = await client.get("/notifications")
    assert "When someone mentions you" in page.text and "Mark all as read" not in page.text


async def test_preferences_page(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ben = await make_person(db, name="Ben")
    await sign_in(client, ben.email)
    page = await client.get("/notifications/preferences")
    assert page.status_code == 200
    assert page.text.count("checked") == 3 and ben.email in page.text
    saved = await client.post(
        "/notifications/preferences",
        data={"csrf_token": csrf_of(page.text), "email_mentions": "on"},
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Your e-mail preferences are saved" in page.text
    prefs = await service.preferences_of(db, person=ben)
    assert (prefs.email_mentions, prefs.email_invitations, prefs.email_digest) == (
        True,
        False,
        False,
    )


async def test_unsubscribe_without_signing_in(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    ben = await make_person(db, name="Ben")
    token = email.unsubscribe_token(settings, ben.id, "invitations")
    page = await client.get("/notifications/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert "being added to spaces" in page.text and "Stop these e-mails" in page.text
    assert await db.get(NotificationPreference, ben.id) is None  # opening it changed nothing

    forged = await client.post(
        "/notifications/unsubscribe", data={"csrf_token": "0" * 64, "token": token}
    )
    assert forged.status_code == 403
    done = await client.post(
        "/notifications/unsubscribe", data={"csrf_token": csrf_of(page.text), "token": token}
    )
    assert done.status_code == 200 and "You will get no more of these e-mails" in done.text
    prefs = await db.get(NotificationPreference, ben.id)
    assert prefs is not None
    assert (prefs.email_mentions, prefs.email_invitations, prefs.email_digest) == (
        True,
        False,
        True,
    )

    for bad in (
        "",
        "garbage",
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        token.replace("invitations", "digest"),
    ):
        r = await client.get("/notifications/unsubscribe", params={"token": bad})
        assert r.status_code == 404, bad
        assert "not valid" in r.text
