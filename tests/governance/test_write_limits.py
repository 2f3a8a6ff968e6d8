"""Write rate limits per person (atoll.people.write_limits): posts, comments and reactions per
minute, answered 429 with Retry-After on the API and with a readable message on the pages;
counted atomically (concurrent posts), per person, in a window that frees after a minute."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.app import create_app
from atoll.conversations.models import Post
from atoll.kit.errors import RateLimited
from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.write_limits import UNLIMITED, WriteLimits, check_write_rate
from tests.conversations.helpers import add_member, comment, make_post, make_space, post
from tests.factories import auth_headers, make_person
from tests.web.helpers import csrf_of, sign_in

API = "/api/v1"
LIMITS = {
    "rate_posts_per_minute": 10,
    "rate_comments_per_minute": 3,
    "rate_reactions_per_minute": 4,
    "rate_reports_per_minute": 2,
}


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app on the suite's database with the limits a deployment would have (the suite's
    own are set high so that other tests never meet them)."""
    made = create_app(settings.model_copy(update=LIMITS))
    async with made.router.lifespan_context(made):
        yield made


@pytest.fixture
async def api(limited: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def _space_with(api: httpx.AsyncClient, db: AsyncSession, members: int = 1):  # type: ignore[no-untyped-def]
    owner = await make_person(db)
    headers = await auth_headers(api, owner)
    space = await make_space(api, headers)
    others = []
    for _ in range(members):
        person = await make_person(db)
        await add_member(api, headers, space["id"], person.id)
        others.append((person, await auth_headers(api, person)))
    return owner, headers, space, others


async def test_the_eleventh_post_in_a_minute_is_429_with_retry_after(
    api: httpx.AsyncClient, app: FastAPI, db: AsyncSession
) -> None:
    _, headers, space, [(_, other)] = await _space_with(api, db)
    for n in range(10):
        await make_post(api, headers, space["id"], f"Post {n}")
    refused = await post(api, headers, space["id"], "One too many")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    retry = int(refused.headers["retry-after"])
    assert 1 <= retry <= 60
    assert "10 posts in the last minute" in refused.json()["detail"]
    # Someone else posts as usual; the refused post was not made.
    assert (await post(api, other, space["id"], "Mine")).status_code == 201
    count = await db.scalar(
        select(func.count()).select_from(Post).where(Post.body == "One too many")
    )
    assert count == 0


async def test_comments_and_reactions_have_their_own_limits(
    api: httpx.AsyncClient, db: AsyncSession
) -> None:
    _, headers, space, [(_, other)] = await _space_with(api, db)
    p = await make_post(api, other, space["id"], "Discuss")
    for n in range(3):
        assert (await comment(api, headers, p["id"], f"Comment {n}")).status_code == 201
    refused = await comment(api, headers, p["id"], "Fourth")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # Reactions are counted apart from comments: four adds and takes-back, then 429.
    url = f"{API}/posts/{p['id']}/reactions/👍"
    for method in ("put", "delete", "put", "delete"):
        assert (await api.request(method.upper(), url, headers=headers)).status_code == 200
    assert (await api.put(url, headers=headers)).status_code == 429
    # A post still goes (its own limit).
    assert (await post(api, headers, space["id"], "Still fine")).status_code == 201


async def test_the_window_frees_after_a_minute(db: AsyncSession) -> None:
    person = await make_person(db)
    person_id = person.id
    limits = WriteLimits(posts=2)
    start = utcnow()
    for seconds in (0, 10):
        await check_write_rate(
            db, person=person, kind="posts", limits=limits, now=start + timedelta(seconds=seconds)
        )
    with pytest.raises(RateLimited) as refused:
        await check_write_rate(
            db, person=person, kind="posts", limits=limits, now=start + timedelta(seconds=45)
        )
    assert refused.value.retry_after == 15  # the window opened at the first post
    await db.rollback()  # a refused write is not counted; the two before were rolled back too
    person = await db.get(Person, person_id)
    assert person is not None
    for seconds in (0, 10):
        await check_write_rate(
            db, person=person, kind="posts", limits=limits, now=start + timedelta(seconds=seconds)
        )
    await db.commit()
    later = start + timedelta(seconds=61)
    await check_write_rate(db, person=person, kind="posts", limits=limits, now=later)
    await check_write_rate(db, person=person, kind="posts", limits=limits, now=later)
    with pytest.raises(RateLimited):
        await check_write_rate(db, person=person, kind="posts", limits=limits, now=later)


async def test_no_limit_means_none_and_reports_are_a_kind(db: AsyncSession) -> None:
    person = await make_person(db)
    for _ in range(50):
        await check_write_rate(db, person=person, kind="posts", limits=UNLIMITED)
    limits = WriteLimits(reports=1)
    await check_write_rate(db, person=person, kind="reports", limits=limits)
    with pytest.raises(RateLimited):
        await check_write_rate(db, person=person, kind="reports", limits=limits)


async def test_concurrent_posts_are_counted_exactly(
    api: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, headers, space, _ = await _space_with(api, db, members=0)
    answers = await asyncio.gather(
        *(post(api, headers, space["id"], f"Burst {n}") for n in range(20))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 10 + [429] * 10
    made = await db.scalar(select(func.count()).select_from(Post).where(Post.author_id == owner.id))
    assert made == 10


async def test_the_pages_say_so(api: httpx.AsyncClient, db: AsyncSession) -> None:
    owner, headers, space, _ = await _space_with(api, db, members=0)
    p = await make_post(api, headers, space["id"], "First")
    for n in range(9):
        await make_post(api, headers, space["id"], f"Post {n}")
    await sign_in(api, owner.email)
    page = await api.get(f"/spaces/{space['slug']}")
    token = csrf_of(page.text)
    form = {"csrf_token": token, "space_id": space["id"], "body": "From the composer"}
    refused = await api.post("/posts", data=form)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "10 posts in the last minute" in refused.text
    assert "From the composer" in refused.text  # the draft is kept
    # Comments: the post page shows the message and keeps the draft.
    for n in range(3):
        await comment(api, headers, p["id"], f"Comment {n}")
    refused = await api.post(
        f"/posts/{p['id']}/comments", data={"csrf_token": token, "body": "My reply"}
    )
    assert refused.status_code == 429
    assert "3 comments in the last minute" in refused.text and "My reply" in refused.text
    # A reaction clicked with htmx: the card comes back saying why.
    for _ in range(4):
        await api.put(f"{API}/posts/{p['id']}/reactions/👍", headers=headers)
    card = await api.post(
        f"/posts/{p['id']}/react",
        data={"csrf_token": token, "emoji": "👍"},
        headers={"HX-Request": "true"},
    )
    assert card.status_code == 200 and 'role="alert"' in card.text
    assert "4 reactions in the last minute" in card.text
    assert int(card.headers["retry-after"]) >= 1


async def test_reports_have_their_own_limit_and_a_repeat_costs_nothing(
    api: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, headers, space, [(_, other)] = await _space_with(api, db)
    posts = [await make_post(api, other, space["id"], f"Spam {n}") for n in range(3)]

    async def report(post_id: str) -> httpx.Response:
        body = {"target_type": "post", "target_id": post_id, "reason": "spam"}
        return await api.post(f"{API}/reports", json=body, headers=headers)

    assert (await report(posts[0]["id"])).status_code == 201
    # reporting the same post again answers the same report, and is not counted
    assert (await report(posts[0]["id"])).status_code == 200
    assert (await report(posts[1]["id"])).status_code == 201
    refused = await report(posts[2]["id"])
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "2 reports in the last minute" in refused.json()["detail"]
    # the report form says so too, and keeps what was typed
    await sign_in(api, owner.email)
    form_page = await api.get(f"/report?target_type=post&target_id={posts[2]['id']}")
    assert form_page.status_code == 200
    refused = await api.post(
        "/report",
        data={
            "csrf_token": csrf_of(form_page.text),
            "target_type": "post",
            "target_id": posts[2]["id"],
            "reason": "spam",
            "detail": "Third one today",
        },
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "2 reports in the last minute" in refused.text and "Third one today" in refused.text
