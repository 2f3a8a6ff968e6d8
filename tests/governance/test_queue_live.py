"""The moderation queue is live for the people who handle the report, and for nobody else: a
reader of the space never learns over the event stream that something was reported."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import make_post
from tests.factories import auth_headers, make_person
from tests.governance.report_helpers import cast, report, resolve
from tests.realtime.sse import Streams


async def test_handlers_hear_of_reports_and_readers_do_not(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    c = await cast(client, db)
    platform_mod = await make_person(db, name="Pat Platform", role="moderator")
    pm = await auth_headers(client, platform_mod)
    post = await make_post(client, c.h["author"], c.space["id"], "Cheap watches")
    owner = await streams.open(c.h["owner"])
    moderator = await streams.open(c.h["moderator"])
    platform = await streams.open(pm)
    author = await streams.open(c.h["author"])
    reporter = await streams.open(c.h["reporter"])

    made = await report(client, c.h["reporter"], "post", post["id"], "spam", detail="Ads")
    assert made.status_code == 201
    for handler in (owner, moderator, platform):
        assert (await handler.next_of("moderation.changed")).data["why"] == "reported"
    await author.nothing()
    await reporter.nothing()

    r = await resolve(client, c.h["moderator"], made.json()["id"], "warn", "Careful")
    assert r.status_code == 200
    for handler in (owner, moderator, platform):
        assert (await handler.next_of("moderation.changed")).data["why"] == "resolved"
    await author.nothing()  # told by a notification, which the stream carries apart
    await reporter.nothing()


async def test_a_platform_moderator_hears_nothing_of_a_secret_space(
    client: httpx.AsyncClient, db: AsyncSession, streams: Streams
) -> None:
    c = await cast(client, db, visibility="secret")
    platform_mod = await make_person(db, name="Pat Platform", role="moderator")
    admin = await make_person(db, name="Ada Admin", role="admin")
    post = await make_post(client, c.h["author"], c.space["id"], "Cheap watches")
    platform = await streams.open(await auth_headers(client, platform_mod))
    admin_s = await streams.open(await auth_headers(client, admin))
    member = await streams.open(c.h["author"])
    assert (await report(client, c.h["reporter"], "post", post["id"])).status_code == 201
    assert (await admin_s.next_of("moderation.changed")).data["why"] == "reported"
    await platform.nothing()
    await member.nothing()
