"""Reports through the API and the service: who may report what, the queue and who sees which
reports, each action and its effects, the notifications and the audit entries, suspension."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.models import AuditEntry
from atoll.audit.service import detail_of
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from tests.conversations.helpers import comment, make_post
from tests.factories import PASSWORD, auth_headers, make_person
from tests.governance.report_helpers import API, cast, queue, report, reported_post, resolve
from tests.mailbox import Inbox, body_of
from tests.web.helpers import csrf_of


async def _audit(db: AsyncSession, action: str) -> list[AuditEntry]:
    await db.rollback()
    return list(await db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def _notifications(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    r = await client.get(f"{API}/notifications", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def test_report_is_idempotent_and_grouped_per_target(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    post, first = await reported_post(client, c)
    assert first["status"] == "open" and first["reason"] == "spam"
    again = await report(client, c.h["reporter"], "post", post["id"], "other")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    other = await make_person(db, name="Otto Other")
    await client.post(
        f"{API}/spaces/{c.space['id']}/join", headers=await auth_headers(client, other)
    )
    r = await report(client, await auth_headers(client, other), "post", post["id"], "harassment")
    assert r.status_code == 201

    q = await queue(client, c.h["moderator"])
    assert q.status_code == 200, q.text
    items = q.json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["count"] == 2 and item["reasons"] == {"spam": 1, "harassment": 1}
    assert item["target"]["excerpt"] == "Buy cheap watches"
    assert item["target"]["author"]["name"] == "Ann Author"
    assert item["target"]["space"]["name"] == "Guild"
    assert {x["reporter"]["name"] for x in item["reports"]} == {"Rita Reporter", "Otto Other"}
    assert "Ads again" in [x["detail"] for x in item["reports"]]


async def test_hide_notifies_author_and_reporter_and_audits(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    post, rep = await reported_post(client, c)
    assert (await resolve(client, c.h["moderator"], rep["id"], "hide")).status_code == 422
    r = await resolve(client, c.h["moderator"], rep["id"], "hide", "No advertising here")
    assert r.status_code == 200, r.text
    assert r.json()["resolved"] == [rep["id"]]
    # hidden: 404 for a reader, visible to the author and the moderators
    assert (
        await client.get(f"{API}/posts/{post['id']}", headers=c.h["reporter"])
    ).status_code == 404
    assert (await client.get(f"{API}/posts/{post['id']}", headers=c.h["author"])).status_code == 200
    assert (await client.get(f"{API}/posts/{post['id']}", headers=c.h["owner"])).status_code == 200
    listed = await client.get(f"{API}/spaces/{c.space['id']}/posts", headers=c.h["reporter"])
    assert listed.json()["items"] == []
    texts = [n["text"] for n in await _notifications(client, c.h["author"])]
    assert any(
        "A moderator hid your post in Guild (reason: spam): No advertising here" in t for t in texts
    ), texts
    texts = [n["text"] for n in await _notifications(client, c.h["reporter"])]
    assert "Your report on a post in Guild was reviewed: hidden" in texts
    (entry,) = await _audit(db, "report.resolved")
    detail = detail_of(entry)
    assert detail["resolution"] == "hide" and detail["note"] == "No advertising here"
    assert detail["after"] == {"hidden": True} and entry.target_id == post["id"]
    # resolved: a second time is a conflict; the queue moved it to resolved
    assert (await resolve(client, c.h["moderator"], rep["id"], "dismiss")).status_code == 409
    assert (await queue(client, c.h["moderator"])).json()["items"] == []
    done = (await queue(client, c.h["moderator"], status="resolved")).json()["items"]
    assert done[0]["resolution"]["action"] == "hide" and done[0]["target"]["state"] == "hidden"
    # a moderator shows it again
    assert (
        await client.post(f"{API}/posts/{post['id']}/unhide", headers=c.h["reporter"])
    ).status_code == 404
    assert (
        await client.post(f"{API}/posts/{post['id']}/unhide", headers=c.h["moderator"])
    ).status_code == 204
    assert (
        await client.get(f"{API}/posts/{post['id']}", headers=c.h["reporter"])
    ).status_code == 200
    assert len(await _audit(db, "post.unhidden")) == 1


async def test_who_may_report_what(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await cast(client, db, visibility="private")
    post = await make_post(client, c.h["author"], c.space["id"], "Inside")
    outsider = await auth_headers(client, await make_person(db, name="Out Sider"))
    guest = await make_person(db, name="Gus Guest", kind="external")
    # a post one cannot read is not found, as reading it would answer
    assert (await report(client, outsider, "post", post["id"])).status_code == 404
    assert (await report(client, outsider, "post", "999999")).status_code == 404
    # a person one cannot see: an external sees only the co-members of their spaces
    g = await auth_headers(client, guest)
    assert (await report(client, g, "person", c.author.id)).status_code == 404
    assert (await report(client, outsider, "person", guest.id)).status_code == 201
    # bad input names the field; anonymous is 401
    r = await report(client, c.h["reporter"], "post", post["id"], "rude")
    assert r.status_code == 422 and "reason" in r.text
    assert (await report(client, {}, "post", post["id"])).status_code == 401
    assert (await report(client, c.h["reporter"], "person", c.reporter.id)).status_code == 422
    # comments and wiki pages
    made = await comment(client, c.h["author"], post["id"], "Rude words")
    assert (await report(client, c.h["reporter"], "comment", made.json()["id"])).status_code == 201
    assert (await report(client, outsider, "comment", made.json()["id"])).status_code == 404
    page = await client.put(
        f"{API}/spaces/{c.space['id']}/wiki/rules",
        json={"title": "Rules", "body": "x"},
        headers=c.h["author"],
    )
    assert page.status_code in (200, 201), page.text
    assert (
        await report(client, c.h["reporter"], "wiki_page", page.json()["id"])
    ).status_code == 201
    assert (await report(client, outsider, "wiki_page", page.json()["id"])).status_code == 404


async def test_delete_warn_dismiss(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await cast(client, db)
    post, rep = await reported_post(client, c)
    r = await resolve(client, c.h["owner"], rep["id"], "delete", "Spam is removed")
    assert r.status_code == 200, r.text
    assert (await client.get(f"{API}/posts/{post['id']}", headers=c.h["author"])).status_code == 404
    texts = [n["text"] for n in await _notifications(client, c.h["author"])]
    assert any(t.startswith("A moderator removed your post in Guild") for t in texts), texts
    assert "Your report on a post in Guild was reviewed: removed" in [
        n["text"] for n in await _notifications(client, c.h["reporter"])
    ]
    # warn: the content stays, the author is told
    post2, rep2 = await reported_post(client, c, "Borderline")
    made = await comment(client, c.h["author"], post2["id"], "More ads")
    rep3 = await report(client, c.h["reporter"], "comment", made.json()["id"], "off_topic")
    r = await resolve(client, c.h["moderator"], rep3.json()["id"], "warn", "Keep it on topic")
    assert r.status_code == 200
    thread = (await client.get(f"{API}/posts/{post2['id']}", headers=c.h["reporter"])).json()
    assert len(thread["comments"]) == 1
    texts = [n["text"] for n in await _notifications(client, c.h["author"])]
    assert (
        "A moderator warned you about your comment in Guild (reason: off topic): Keep it on topic"
        in texts
    )
    # dismiss: nothing happens, the author is not told, the reporter is
    before = len(await _notifications(client, c.h["author"]))
    assert (await resolve(client, c.h["moderator"], rep2["id"], "dismiss")).status_code == 200
    assert len(await _notifications(client, c.h["author"])) == before
    assert "Your report on a post in Guild was reviewed: no action" in [
        n["text"] for n in await _notifications(client, c.h["reporter"])
    ]
    assert len(await _audit(db, "report.resolved")) == 3


async def test_hidden_comment_and_wiki_hide(client: httpx.AsyncClient, db: AsyncSession) -> None:
    c = await cast(client, db)
    post = await make_post(client, c.h["reporter"], c.space["id"], "Question")
    made = (await comment(client, c.h["author"], post["id"], "Nasty")).json()
    rep = (await report(client, c.h["reporter"], "comment", made["id"], "harassment")).json()
    assert (
        await resolve(client, c.h["moderator"], rep["id"], "hide", "Be kind")
    ).status_code == 200
    seen = (await client.get(f"{API}/posts/{post['id']}", headers=c.h["reporter"])).json()
    assert seen["comments"] == []
    own = (await client.get(f"{API}/posts/{post['id']}", headers=c.h["author"])).json()
    assert [x["id"] for x in own["comments"]] == [made["id"]]
    page = await client.put(
        f"{API}/spaces/{c.space['id']}/wiki/rules",
        json={"title": "Rules", "body": "x"},
        headers=c.h["author"],
    )
    rep = (await report(client, c.h["reporter"], "wiki_page", page.json()["id"])).json()
    assert (await resolve(client, c.h["moderator"], rep["id"], "hide", "Wrong")).status_code == 200
    gone = await client.get(f"{API}/spaces/{c.space['id']}/wiki/rules", headers=c.h["reporter"])
    assert gone.status_code == 404


async def test_handlers_never_see_what_they_cannot_read(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db, visibility="secret")
    post, rep = await reported_post(client, c)
    platform_mod = await make_person(db, name="Pat Platform", role="moderator")
    admin = await make_person(db, name="Ada Admin", role="admin")
    pm, ad = await auth_headers(client, platform_mod), await auth_headers(client, admin)
    assert (await queue(client, pm)).json()["items"] == []
    assert (await resolve(client, pm, rep["id"], "hide", "x")).status_code == 404
    assert len((await queue(client, ad)).json()["items"]) == 1
    # a plain member handles nothing; the reporter may not resolve their own report
    assert (await queue(client, c.h["reporter"])).status_code == 403
    assert (await resolve(client, c.h["reporter"], rep["id"], "dismiss")).status_code == 403
    assert (await resolve(client, c.h["author"], rep["id"], "dismiss")).status_code == 404
    # an owner of another space handles nothing here
    other = await cast(client, db)
    assert (await queue(client, other.h["owner"])).json()["items"] == []
    assert (await queue(client, other.h["owner"], space_id=c.space["id"])).status_code == 404
    assert (await queue(client, c.h["reporter"], space_id=c.space["id"])).status_code == 403
    # person reports: platform moderators only
    rp = await report(client, c.h["reporter"], "person", c.author.id, "harassment")
    assert rp.status_code == 201
    assert [i["target"]["type"] for i in (await queue(client, pm)).json()["items"]] == ["person"]
    assert all(
        i["target"]["type"] != "person" for i in (await queue(client, c.h["owner"])).json()["items"]
    )


async def test_suspension_blocks_sign_in_and_tokens_until_lifted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    author_id, author_email = c.author.id, c.author.email
    post, rep = await reported_post(client, c)
    platform_mod = await make_person(db, name="Pat Platform", role="moderator")
    admin = await make_person(db, name="Ada Admin", role="admin")
    pm, ad = await auth_headers(client, platform_mod), await auth_headers(client, admin)
    r = await resolve(client, c.h["moderator"], rep["id"], "suspend", "Repeated spam")
    assert r.status_code == 403 and "platform moderators" in r.json()["detail"]
    assert (await resolve(client, pm, rep["id"], "suspend", "Spam", days=0)).status_code == 422
    r = await resolve(client, pm, rep["id"], "suspend", "Repeated spam", days=3)
    assert r.status_code == 200, r.text
    # signed out everywhere; no new sign-in
    assert (await client.get(f"{API}/me", headers=c.h["author"])).status_code == 401
    signin = await client.post(
        f"{API}/auth/token", json={"email": author_email, "password": "correct horse battery"}
    )
    assert (
        signin.status_code == 403 and "Your account is suspended until" in signin.json()["detail"]
    )
    await db.rollback()
    until = await db.scalar(select(Person.suspended_until).where(Person.id == author_id))
    assert until is not None and 2 < (as_utc(until) - utcnow()).total_seconds() / 86400 <= 3
    (entry,) = await _audit(db, "report.resolved")
    assert detail_of(entry)["resolution"] == "suspend"
    texts = [n["text"] for n in await _notifications(client, c.h["reporter"])]
    assert "Your report on a post in Guild was reviewed: the author was suspended" in texts
    # moderators cannot suspend an administrator; only an administrator lifts a suspension
    p2 = await make_post(client, ad, c.space["id"], "Admin post")
    rep2 = (await report(client, c.h["reporter"], "post", p2["id"])).json()
    r = await resolve(client, pm, rep2["id"], "suspend", "x")
    assert r.status_code == 403 and "administrator" in r.json()["detail"]
    assert (
        await client.delete(f"{API}/people/{author_id}/suspension", headers=pm)
    ).status_code == 403
    lifted = await client.delete(f"{API}/people/{author_id}/suspension", headers=ad)
    assert lifted.status_code == 200 and lifted.json()["suspended_until"] is None
    again = await client.post(
        f"{API}/auth/token", json={"email": author_email, "password": "correct horse battery"}
    )
    assert again.status_code == 200
    assert len(await _audit(db, "person.unsuspended")) == 1


async def test_the_author_is_emailed_unless_they_turned_it_off(
    inbox: Inbox, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    author_email, reporter_email = c.author.email, c.reporter.email
    post, rep = await reported_post(client, c)
    assert (
        await resolve(client, c.h["moderator"], rep["id"], "warn", "Mind the rules")
    ).status_code == 200
    await inbox.messages()

    def moderation_mail(address: str) -> list:  # type: ignore[type-arg]
        return [m for m in inbox.to(address) if "moderator" in m["Subject"]]

    (message,) = moderation_mail(author_email)
    assert "Mind the rules" in body_of(message)
    assert "A moderator warned you about your post in Guild" in message["Subject"]
    assert moderation_mail(reporter_email) == []  # the reporter is told in the app only
    off = await client.put(
        f"{API}/notifications/preferences", json={"email_mentions": False}, headers=c.h["author"]
    )
    assert off.status_code == 200, off.text
    _, rep2 = await reported_post(client, c, "Again")
    assert (await resolve(client, c.h["moderator"], rep2["id"], "warn", "Twice")).status_code == 200
    await inbox.messages()
    assert len(moderation_mail(author_email)) == 1


async def test_a_suspended_persons_token_and_sign_in_page_refuse(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    person = await make_person(db, name="Sue Spended")
    email, person_id = person.email, person.id
    headers = await auth_headers(client, person)
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
    # suspended behind the token's back (not revoked): the token stops working all the same
    await db.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(suspended_until=utcnow() + timedelta(days=2))
    )
    await db.commit()
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 401
    form = await client.get("/sign-in")
    page = await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD, "next": "/"},
    )
    assert page.status_code == 403 and "Your account is suspended until" in page.text
    # a suspension that has ended stops nothing
    await db.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(suspended_until=utcnow() - timedelta(minutes=1))
    )
    await db.commit()
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200


async def test_a_hidden_post_takes_no_place_in_the_feed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    c = await cast(client, db)
    for body in ("First", "Second"):
        await make_post(client, c.h["author"], c.space["id"], body)
    post, rep = await reported_post(client, c, "Third, hidden")
    assert (await resolve(client, c.h["moderator"], rep["id"], "hide", "No")).status_code == 200
    page = (await client.get(f"{API}/feed?limit=1", headers=c.h["reporter"])).json()
    assert [p["body"] for p in page["items"]] == ["Second"] and page["next_cursor"]
    more = await client.get(
        f"{API}/feed", params={"limit": 1, "cursor": page["next_cursor"]}, headers=c.h["reporter"]
    )
    assert [p["body"] for p in more.json()["items"]] == ["First"]
    own = (await client.get(f"{API}/feed?limit=1", headers=c.h["author"])).json()
    assert [p["body"] for p in own["items"]] == ["Third, hidden"]
    hits = await client.get(f"{API}/search", params={"q": "hidden"}, headers=c.h["reporter"])
    assert hits.status_code == 200 and hits.json()["items"] == []


async def test_an_admin_sees_and_lifts_a_suspension_on_the_people_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada Admin", role="admin")
    person = await make_person(db, name="Sue Spended")
    admin_email, email, person_id = admin.email, person.email, person.id
    await db.execute(
        update(Person)
        .where(Person.id == person_id)
        .values(suspended_until=utcnow() + timedelta(days=2))
    )
    await db.commit()
    form = await client.get("/sign-in")
    await client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": admin_email, "password": PASSWORD},
    )
    page = await client.get("/admin/people", params={"q": email})
    assert page.status_code == 200 and "Suspended" in page.text
    assert f'action="/admin/people/{person_id}/lift-suspension"' in page.text
    lifted = await client.post(
        f"/admin/people/{person_id}/lift-suspension", data={"csrf_token": csrf_of(page.text)}
    )
    assert lifted.status_code == 303
    page = await client.get(lifted.headers["location"])
    assert "Lift suspension" not in page.text
    await db.rollback()
    assert await db.scalar(select(Person.suspended_until).where(Person.id == person_id)) is None
    assert len(await _audit(db, "person.unsuspended")) == 1
