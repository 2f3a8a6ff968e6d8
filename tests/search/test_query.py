"""Search through the API on a small fixed corpus: matching, ranking, phrases, prefixes,
edits and deletes reflected at once, snippets, filters, paging and bad input."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.search.hits import SNIPPET_WORDS, prefix_snippet
from atoll.search.models import SearchDoc
from tests.conversations.helpers import comment, join, make_post, make_space
from tests.factories import auth_headers, make_person

Headers = dict[str, str]


async def find(client: httpx.AsyncClient, headers: Headers, q: str, **params: str) -> list[dict]:
    r = await client.get("/api/v1/search", params={"q": q, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def _world(client: httpx.AsyncClient, db: AsyncSession) -> tuple[Headers, dict]:
    ana = await make_person(
        db, name="Ana Silva", title="Site reliability engineer", skills=["Kubernetes"]
    )
    headers = await auth_headers(client, ana)
    space = await make_space(client, headers, name="Platform Guild", description="Deploying things")
    return headers, space


async def test_words_match_stemmed_and_all_must_match(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    one = await make_post(client, headers, space["id"], "We are deploying the new checkout service")
    await make_post(client, headers, space["id"], "Lunch is at noon")
    hits = await find(client, headers, "deploy checkout", type="post")
    assert [h["id"] for h in hits] == [one["id"]]
    assert hits[0]["type"] == "post" and hits[0]["space_id"] == space["id"]
    assert hits[0]["url"] == f"/posts/{one['id']}"
    assert hits[0]["title"] == "We are deploying the new checkout service"
    assert await find(client, headers, "deploy lunch", type="post") == []


async def test_phrase_needs_the_words_together(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    together = await make_post(client, headers, space["id"], "The release train leaves on Friday")
    await make_post(client, headers, space["id"], "The train for the release party is late")
    hits = await find(client, headers, '"release train"', type="post")
    assert [h["id"] for h in hits] == [together["id"]]
    assert len(await find(client, headers, "release train", type="post")) == 2


async def test_exclusion_and_explicit_prefix(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    a = await make_post(client, headers, space["id"], "Observability with Prometheus")
    b = await make_post(client, headers, space["id"], "Observability with Grafana")
    assert [h["id"] for h in await find(client, headers, "observability -grafana")] == [a["id"]]
    found = {h["id"] for h in await find(client, headers, "promethe*", type="post")}
    assert found == {a["id"]}
    assert b["id"] not in found


async def test_people_and_spaces_match_by_prefix(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    people = await find(client, headers, "ana sil", type="person")
    assert [h["title"] for h in people] == ["Ana Silva"]
    assert people[0]["url"].startswith("/people/")
    assert [h["title"] for h in await find(client, headers, "kuber", type="person")] == [
        "Ana Silva"
    ]
    spaces = await find(client, headers, "plat", type="space")
    assert [h["id"] for h in spaces] == [space["id"]]
    assert spaces[0]["url"] == "/spaces/" + space["slug"]


async def test_between_equal_matches_the_newer_wins(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    old = await make_post(client, headers, space["id"], "Incident review: database failover drill")
    new = await make_post(client, headers, space["id"], "Incident review: database failover drill")
    a_year = 365 * 86400
    await db.execute(
        update(SearchDoc)
        .where(SearchDoc.kind == "post", SearchDoc.ref_id == int(old["id"]))
        .values(stamp=int(time.time()) - a_year)
    )
    await db.commit()
    hits = await find(client, headers, "failover", type="post")
    assert [h["id"] for h in hits] == [new["id"], old["id"]]
    assert hits[0]["score"] > hits[1]["score"]


async def test_a_strong_old_match_beats_a_passing_mention(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    strong = await make_post(
        client,
        headers,
        space["id"],
        "Failover: how failover works, failover drills, failover runbook",
    )
    passing = await make_post(
        client,
        headers,
        space["id"],
        "Notes from the all-hands about budgets, hiring, the new office, travel rules, the "
        "holiday calendar, the canteen menu and, briefly, failover",
    )
    await db.execute(
        update(SearchDoc)
        .where(SearchDoc.kind == "post", SearchDoc.ref_id == int(strong["id"]))
        .values(stamp=int(time.time()) - 200 * 86400)
    )
    await db.commit()
    hits = await find(client, headers, "failover", type="post")
    assert [h["id"] for h in hits] == [strong["id"], passing["id"]]


async def test_edits_and_deletes_are_reflected_at_once(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    post = await make_post(client, headers, space["id"], "Quarterly roadmap draft")
    r = await client.patch(
        f"/api/v1/posts/{post['id']}", json={"body": "Yearly plan"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert await find(client, headers, "roadmap") == []
    assert [h["id"] for h in await find(client, headers, "yearly")] == [post["id"]]
    c = (await comment(client, headers, post["id"], "Tangerine flavoured feedback")).json()
    hits = await find(client, headers, "tangerine")
    assert [(h["type"], h["id"], h["post_id"]) for h in hits] == [("comment", c["id"], post["id"])]
    assert hits[0]["url"] == f"/posts/{post['id']}#comment-{c['id']}"
    r = await client.delete(f"/api/v1/posts/{post['id']}", headers=headers)
    assert r.status_code == 204, r.text
    assert await find(client, headers, "yearly") == []
    assert await find(client, headers, "tangerine") == []


async def test_deleted_comment_is_never_found_again(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    post = await make_post(client, headers, space["id"], "Thread")
    c = (await comment(client, headers, post["id"], "Marmalade opinion")).json()
    reply = (
        await comment(client, headers, post["id"], "Marmalade reply", parent_id=c["id"])
    ).json()
    assert len(await find(client, headers, "marmalade")) == 2
    r = await client.delete(f"/api/v1/comments/{c['id']}", headers=headers)
    assert r.status_code == 204, r.text
    assert await find(client, headers, "marmalade") == [], reply


async def test_wiki_pages_are_found_by_title_and_body(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    r = await client.put(
        f"/api/v1/spaces/{space['id']}/wiki/onboarding",
        json={"title": "Onboarding", "body": "Get a laptop and a badge"},
        headers=headers,
    )
    assert r.status_code in (200, 201), r.text
    hits = await find(client, headers, "onboarding", type="wiki")
    assert [h["title"] for h in hits] == ["Onboarding"]
    assert hits[0]["url"] == f"/spaces/{space['slug']}/wiki/onboarding"
    assert [h["title"] for h in await find(client, headers, "badge", type="wiki")] == ["Onboarding"]


async def test_snippets_mark_matches_and_escape_html(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    await make_post(
        client, headers, space["id"], "Use <script>alert(1)</script> never; zebra rules"
    )
    hit = (await find(client, headers, "zebra"))[0]
    assert "<mark>zebra</mark>" in hit["snippet_html"]
    assert "<script>" not in hit["snippet_html"]
    assert "\x02" not in hit["snippet"] and "zebra" in hit["snippet"]


async def test_a_prefix_search_marks_every_word_it_matched_on_both_databases(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    body = (
        "Intro words one two three four five six seven eight nine ten eleven twelve: "
        "the Zebrafish tank and two zébras; nothing else here matters at all today"
    )
    await make_post(client, headers, space["id"], body)
    hit = (await find(client, headers, "zebr*"))[0]
    assert "<mark>Zebrafish</mark>" in hit["snippet_html"]
    assert "\x02" not in hit["snippet"] and "Zebrafish" in hit["snippet"]


def test_a_prefix_snippet_is_cut_around_the_first_match() -> None:
    words = " ".join(f"w{i}" for i in range(40))
    snippet = prefix_snippet(f"{words} Chécklist done; {words}", ["check"])
    assert snippet.startswith("…w38 w39 \x02Chécklist\x03 done")  # diacritics folded
    assert snippet.endswith("…") and len(snippet.split()) == SNIPPET_WORDS
    assert prefix_snippet("check", ["chec"]) == "\x02check\x03"
    assert prefix_snippet("nothing to mark, say", ["zz"]) == "nothing to mark, say"
    assert prefix_snippet("", ["zz"]) == ""


async def test_space_filter_and_paging(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    other = await make_space(client, headers, name="Other place")
    for i in range(5):
        await make_post(client, headers, space["id"], f"Kiwi note {i}")
    await make_post(client, headers, other["id"], "Kiwi elsewhere")
    hits = await find(client, headers, "kiwi", space_id=space["id"])
    assert len(hits) == 5 and {h["space_id"] for h in hits} == {space["id"]}
    seen, cursor = [], None
    while True:
        params = {"q": "kiwi", "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/v1/search", params=params, headers=headers)).json()
        seen += [h["id"] for h in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 6 == len(set(seen))


async def test_bad_queries_are_422(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, _ = await _world(client, db)
    for params in (
        {"q": ""},
        {"q": '"" - *'},
        {"q": "x", "type": "robot"},
        {"q": "x", "cursor": "zz"},
    ):
        r = await client.get("/api/v1/search", params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # FTS syntax typed by a person is just text.
    for q in ("NEAR(a b)", "title:x", "a OR b", "(((", "x AND", "^start", "a:*", "!x", "<->"):
        r = await client.get("/api/v1/search", params={"q": q}, headers=headers)
        assert r.status_code in (200, 422), (q, r.text)


def test_mark_escapes_text_and_only_marks_matches() -> None:
    from atoll.search.hits import CLOSE, OPEN, mark

    assert mark(f"a <b>&{OPEN}x{CLOSE} y") == "a &lt;b&gt;&amp;<mark>x</mark> y"
    assert mark(f"{CLOSE}stray {OPEN}open") == "stray <mark>open</mark>"


async def test_authors_matching_counts_only_what_the_viewer_reads(client, db) -> None:  # type: ignore[no-untyped-def]
    from atoll.search.query import authors_matching

    headers, space = await _world(client, db)
    owner = await make_person(db, name="Sec Owner")
    owner_headers = await auth_headers(client, owner)
    secret = await make_space(client, owner_headers, name="Hidden", visibility="secret")
    for _ in range(3):
        await make_post(client, owner_headers, secret["id"], "Terraform modules explained")
    await join(client, owner_headers, space["id"])
    await make_post(client, owner_headers, space["id"], "Terraform in the open")
    reader = await make_person(db, name="Reader")
    counts = await authors_matching(db, viewer=reader, text="terraform")
    assert counts == {owner.id: 1}
    assert await authors_matching(db, viewer=owner, text="terraform") == {owner.id: 4}
    assert await authors_matching(db, viewer=reader, text="   ") == {}


async def test_a_mention_is_found_and_quoted_by_name(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    bo = await make_person(db, name="Bo Lindqvist")
    await make_post(client, headers, space["id"], f"Thanks @[{bo.id}] for the quokka photos")
    hit = (await find(client, headers, "lindqvist", type="post"))[0]
    assert "@Bo Lindqvist" in hit["snippet"] and f"@[{bo.id}]" not in hit["snippet"]
    assert (await find(client, headers, "quokka"))[0]["title"].startswith("Thanks @")


async def test_content_is_indexed_as_a_reader_sees_it(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    await make_post(
        client,
        headers,
        space["id"],
        "We moved to **Python 3.12** — see [the notes](https://ex.example/zebu)",
    )
    hit = (await find(client, headers, "python notes", type="post"))[0]
    assert hit["title"] == "We moved to Python 3.12 — see the notes"
    assert "**" not in hit["snippet"] and "](" not in hit["snippet"]
    assert await find(client, headers, "zebu") == []  # a link's target is not its text


async def test_the_newest_window_gives_the_same_answer_as_all(client, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL tries the newest documents first; a window too small to hold enough
    matches falls back to all of them, and one that holds enough gives the newest."""
    from atoll.search import query

    headers, space = await _world(client, db)
    posts = [await make_post(client, headers, space["id"], f"Walnut {i}") for i in range(5)]
    await make_post(client, headers, space["id"], "Unrelated newest")
    monkeypatch.setattr(query, "WINDOWS", (1, 2))
    assert {h["id"] for h in await find(client, headers, "walnut")} == {p["id"] for p in posts}
    monkeypatch.setattr(query, "CANDIDATES", 2)
    newest = {h["id"] for h in await find(client, headers, "walnut")}
    assert newest == {posts[-1]["id"], posts[-2]["id"]}


async def test_a_one_letter_prefix_in_content_is_a_word(client, db) -> None:  # type: ignore[no-untyped-def]
    headers, space = await _world(client, db)
    word = await make_post(client, headers, space["id"], "x marks the spot")
    longer = await make_post(client, headers, space["id"], "xylophone lessons")
    assert [h["id"] for h in await find(client, headers, "x*", type="post")] == [word["id"]]
    assert [h["id"] for h in await find(client, headers, "xy*", type="post")] == [longer["id"]]
