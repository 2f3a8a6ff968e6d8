"""Space analytics (GET /api/v1/spaces/{id}/analytics, the Insights tab) against a space built
by hand with set times: exact counts, the median first answer, the privacy floor (withheld
figures, and nothing worked out by subtraction), CSV, the range rules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Post, Reaction
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from tests.factories import auth_headers, make_person
from tests.web.helpers import sign_in

API = "/api/v1"
RANGE = {"from": "2026-03-01", "to": "2026-03-14"}


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


class Built:
    """A space made row by row, with the times of everything set."""

    def __init__(self, db: AsyncSession, space: Space) -> None:
        self.db, self.space = db, space

    async def join(self, person: Person, role: str = "member") -> Person:
        self.db.add(Membership(space_id=self.space.id, person_id=person.id, role=role))
        await self.db.flush()
        return person

    async def post(self, author: Person, when: datetime, kind: str = "update", **more: Any) -> Post:
        post = Post(
            space_id=self.space.id,
            author_id=author.id,
            kind=kind,
            body="b",
            html="<p>b</p>",
            created_at=when,
            last_activity_at=when,
            comment_count=0,
            vote_count=0,
            **more,
        )
        self.db.add(post)
        await self.db.flush()
        return post

    async def comment(self, post: Post, author: Person, when: datetime) -> Comment:
        comment = Comment(post_id=post.id, author_id=author.id, body="c", html="c", created_at=when)
        self.db.add(comment)
        await self.db.flush()
        return comment


async def build(db: AsyncSession, name: str = "Partners") -> Built:
    space = Space(name=name, slug=name.lower(), kind="hybrid", visibility="private")
    db.add(space)
    await db.flush()
    return Built(db, space)


async def _partners(db: AsyncSession) -> tuple[Built, Person, list[Person], list[Person]]:
    """Owner Olga; internals i1–i6 and externals e1–e5 (see the test for what each does)."""
    built = await build(db)
    olga = await built.join(await make_person(db, name="Olga Owner"), "owner")
    ins = [await built.join(await make_person(db)) for _ in range(6)]
    exs = [await built.join(await make_person(db, kind="external")) for _ in range(5)]
    for person in ins[:5]:
        await built.post(person, at(2))  # day 2: five updates by five people
    await built.post(ins[0], at(-8))  # before the range
    await built.post(ins[1], at(4), deleted_at=at(4, 10))  # deleted: not counted
    await built.post(ins[5], at(3))
    questions = [await built.post(e, at(3), kind="question") for e in exs]
    await built.comment(questions[2], exs[2], at(3, 9) + timedelta(minutes=30))  # own: no answer
    waits = [timedelta(hours=1), timedelta(hours=2), timedelta(hours=3)]
    for question, answerer, wait in zip(questions[:3], ins[:3], waits, strict=True):
        await built.comment(question, answerer, at(3) + wait)
    await built.comment(questions[3], ins[3], at(4))  # 24 h
    await built.comment(questions[4], ins[4], at(5))  # 48 h
    db.add(Reaction(post_id=questions[0].id, person_id=olga.id, emoji="👍", created_at=at(5)))
    await db.commit()
    return built, olga, ins, exs


async def test_the_figures_of_a_space_built_by_hand(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    built, olga, _, _ = await _partners(db)
    headers = await auth_headers(client, olga)
    answer = await client.get(
        f"{API}/spaces/{built.space.id}/analytics", params=RANGE, headers=headers
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert (got["from"], got["to"], got["min_group"]) == ("2026-03-01", "2026-03-14", 5)

    def value(name: str) -> Any:
        assert got[name]["withheld"] is False, name
        return got[name]["value"]

    assert value("active_people") == 12  # six internals, five externals, Olga's reaction
    assert value("posts") == 11
    assert value("comments") == 6
    assert value("questions_asked") == 5
    assert value("questions_answered") == 5
    assert value("median_first_answer_seconds") == 3 * 3600  # 1 h, 2 h, 3 h, 24 h, 48 h
    ext = got["externals"]
    assert ext["active_people"] == {"value": 5, "withheld": False}
    assert ext["active_share"] == {"value": round(5 / 12, 4), "withheld": False}
    assert ext["contribution_share"] == {"value": round(6 / 17, 4), "withheld": False}
    series = got["series"]
    assert series["period"] == "day" and len(series["points"]) == 14
    day = {p["start"]: p for p in series["points"]}
    assert day["2026-03-02"]["posts"] == 5
    assert day["2026-03-03"]["posts"] == 6 and day["2026-03-03"]["active_people"] == 9
    # Four people commented on day 3, one on each of days 4 and 5: withheld, and together six.
    for d in ("2026-03-03", "2026-03-04", "2026-03-05"):
        assert day[d]["comments"] is None and "comments" in day[d]["withheld"]
    # Active on days 4 and 5: three people in all — the total minus the days shown would
    # tell, so the smallest day shown (day 2, five people) is withheld as well.
    assert day["2026-03-04"]["active_people"] is None
    assert day["2026-03-05"]["active_people"] is None
    assert day["2026-03-02"]["active_people"] is None
    shown = sum(p["active_people"] or 0 for p in series["points"])
    assert shown == 9
    assert day["2026-03-10"] == {
        "period": "2026-03-10",
        "start": "2026-03-10",
        "active_people": 0,
        "posts": 0,
        "comments": 0,
        "withheld": [],
    }


async def test_small_groups_are_withheld_and_cannot_be_subtracted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    built = await build(db, "Small")
    olga = await built.join(await make_person(db), "owner")
    ins = [await built.join(await make_person(db)) for _ in range(6)]
    exs = [await built.join(await make_person(db, kind="external")) for _ in range(2)]
    for person in ins:
        await built.post(person, at(2), kind="question")
    for person in exs:
        await built.post(person, at(2))
    # Five of the six questions are answered (by five others): the sixth asker alone would
    # be asked − answered.
    posts = await built.db.execute(
        Post.__table__.select().where(Post.space_id == built.space.id, Post.kind == "question")
    )
    questions = sorted(posts.all(), key=lambda row: row.id)
    for row, answerer in zip(questions[:5], [*ins[1:], ins[0]][:5], strict=True):
        q = await db.get(Post, row.id)
        assert q is not None
        await built.comment(q, answerer, at(3))
    await db.commit()
    headers = await auth_headers(client, olga)
    got = (
        await client.get(f"{API}/spaces/{built.space.id}/analytics", params=RANGE, headers=headers)
    ).json()
    assert got["active_people"] == {"value": 8, "withheld": False}
    assert got["posts"] == {"value": 8, "withheld": False}
    assert got["questions_asked"] == {"value": 6, "withheld": False}
    assert got["questions_answered"] == {"value": None, "withheld": True}  # one left waiting
    # Two externals: their count and share would single them out — and with 8 active, the
    # internals' count would give theirs.
    ext = got["externals"]
    for name in ("active_people", "active_share", "contribution_share"):
        assert ext[name] == {"value": None, "withheld": True}, name
    # Four people: every figure about them is withheld.
    tiny = await build(db, "Tiny")
    boss = await tiny.join(await make_person(db), "owner")
    for _ in range(3):
        await tiny.post(await tiny.join(await make_person(db)), at(2))
    await tiny.post(boss, at(2))
    await db.commit()
    headers = await auth_headers(client, boss)
    got = (
        await client.get(f"{API}/spaces/{tiny.space.id}/analytics", params=RANGE, headers=headers)
    ).json()
    assert got["active_people"] == {"value": None, "withheld": True}
    assert got["posts"] == {"value": None, "withheld": True}
    assert got["questions_asked"] == {"value": 0, "withheld": False}  # nobody: nothing to hide
    assert all(p["posts"] is None for p in got["series"]["points"] if p["start"] == "2026-03-02")


async def test_csv_ranges_and_weeks(client: httpx.AsyncClient, db: AsyncSession) -> None:
    built, olga, _, _ = await _partners(db)
    headers = await auth_headers(client, olga)
    url = f"{API}/spaces/{built.space.id}/analytics"
    answer = await client.get(url, params=RANGE, headers={**headers, "Accept": "text/csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    totals = {r["figure"]: r for r in rows if r["series"] == "total"}
    assert totals["posts"]["value"] == "11" and totals["posts"]["withheld"] == "false"
    assert totals["median_first_answer_seconds"]["value"] == "10800"
    day4 = [r for r in rows if r["series"] == "day" and r["start"] == "2026-03-04"]
    assert {r["figure"]: (r["value"], r["withheld"]) for r in day4}["comments"] == ("", "true")
    # Times snap to their whole days; a longer range goes week by week, cut to the range.
    week = await client.get(
        url, params={"from": "2026-03-03T17:00:00Z", "to": "2026-05-01"}, headers=headers
    )
    got = week.json()
    assert got["from"] == "2026-03-03" and got["series"]["period"] == "week"
    assert got["series"]["points"][0] == {**got["series"]["points"][0], "start": "2026-03-03"}
    assert got["series"]["points"][0]["period"] == "2026-W10"
    assert got["posts"]["value"] == 6  # day 3's posts; day 2's are before the range
    # The default: the last 90 days, today included.
    default = (await client.get(url, headers=headers)).json()
    start, end = datetime.fromisoformat(default["from"]), datetime.fromisoformat(default["to"])
    assert (end - start).days == 89
    # from after to, or not a date: 422 naming the field.
    bad = await client.get(url, params={"from": "2026-03-05", "to": "2026-03-04"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    bad = await client.get(url, params={"to": "soon"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"


async def test_the_insights_tab(client: httpx.AsyncClient, db: AsyncSession) -> None:
    built, olga, ins, _ = await _partners(db)
    await sign_in(client, olga.email)
    space_page = await client.get(f"/spaces/{built.space.slug}")
    assert f'href="/spaces/{built.space.slug}/insights"' in space_page.text
    page = await client.get(f"/spaces/{built.space.slug}/insights", params=RANGE)
    assert page.status_code == 200
    assert 'aria-current="page">Insights' in page.text
    assert 'id="insights-chart"' in page.text and 'id="insights-data"' in page.text
    assert '<div data-figure="posts"><dt>Posts</dt><dd>11</dd>' in page.text
    assert "3 h" in page.text  # the median first answer
    download = await client.get(f"/spaces/{built.space.slug}/insights.csv", params=RANGE)
    assert download.status_code == 200 and download.text.startswith("series,period,start")
    bad = await client.get(
        f"/spaces/{built.space.slug}/insights", params={"from": "2026-03-05", "to": "2026-03-01"}
    )
    assert bad.status_code == 422 and "must be on or before" in bad.text
    # A member of the space sees no tab, and the page is refused.
    await client.post("/sign-out")
    client.cookies.clear()
    await sign_in(client, ins[0].email)
    space_page = await client.get(f"/spaces/{built.space.slug}")
    assert "/insights" not in space_page.text
    assert (await client.get(f"/spaces/{built.space.slug}/insights")).status_code == 403
