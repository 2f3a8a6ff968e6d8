"""The search page and the top bar's type-ahead, as a browser gets them (httpx against the app):
results with marks and links, the type tabs, paging, the empty states that teach, bad input,
the type-ahead fragment, and signed-out visitors."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conversations.helpers import comment, make_post, make_space
from tests.factories import auth_headers, make_person
from tests.web.helpers import sign_in

Headers = dict[str, str]


async def _signed_in(client: httpx.AsyncClient, db: AsyncSession, **person: str) -> Headers:
    ana = await make_person(db, name=person.get("name", "Ana Silva"))
    await sign_in(client, ana.email)
    return await auth_headers(client, ana)


def _results(page: str) -> list[str]:
    """The result items of a search page, in order."""
    return re.findall(r'<li class="result">(.*?)</li>', page, flags=re.S)


async def test_results_show_type_title_link_space_time_and_marked_snippet(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = await _signed_in(client, db)
    space = await make_space(client, headers, name="Platform Guild")
    body = "Canary rollout plan\n\nWhen errors < 5 & <b>latency</b> is low the canary ships"
    post = await make_post(client, headers, space["id"], body)
    r = await comment(client, headers, post["id"], "The canary needs a dashboard first")
    assert r.status_code == 201, r.text
    note = r.json()

    page = await client.get("/search", params={"q": "canary"})
    assert page.status_code == 200
    assert "<title>Search · canary · Atoll</title>" in page.text
    assert 'value="canary"' in page.text  # the query stays in the box
    items = _results(page.text)
    assert len(items) == 2
    by_link = {re.search(r'href="([^"]+)"', item).group(1): item for item in items}  # type: ignore[union-attr]
    post_item = by_link[f"/posts/{post['id']}"]
    assert "Post</span>" in post_item and "Canary rollout plan" in post_item
    assert "in Platform Guild" in post_item
    assert "<mark>canary</mark>" in post_item.lower()
    assert "errors &lt; 5 &amp;" in post_item  # escaped, not markup
    assert "<b>" not in post_item
    assert re.search(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">', post_item)
    comment_item = by_link[f"/posts/{post['id']}#comment-{note['id']}"]
    assert "Comment</span>" in comment_item and "dashboard" in comment_item


async def test_type_tabs_keep_the_query_and_filter(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = await _signed_in(client, db)
    space = await make_space(client, headers, name="Zebra Watchers")
    post = await make_post(client, headers, space["id"], "Zebra sightings this week")

    page = await client.get("/search", params={"q": "zebra"})
    tabs = re.search(r'<nav class="tabs" aria-label="Kinds of result">(.*?)</nav>', page.text, re.S)
    assert tabs is not None
    labels = re.findall(r">(\w+)</a>", tabs.group(1))
    assert labels == ["All", "Posts", "Comments", "Wiki", "People", "Spaces"]
    assert 'href="/search?q=zebra" aria-current="page">All' in tabs.group(1)
    assert 'href="/search?q=zebra&amp;type=space"' in tabs.group(1)
    assert len(_results(page.text)) == 2  # the post and the space

    spaces_only = await client.get("/search", params={"q": "zebra", "type": "space"})
    items = _results(spaces_only.text)
    assert len(items) == 1 and f'href="/spaces/{space["slug"]}"' in items[0]
    assert 'type=space" aria-current="page">Spaces' in spaces_only.text

    posts_only = await client.get("/search", params={"q": "zebra", "type": "post"})
    assert [f'href="/posts/{post["id"]}"' in i for i in _results(posts_only.text)] == [True]


async def test_space_filter_shows_a_removable_chip_and_limits_results(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = await _signed_in(client, db)
    one = await make_space(client, headers, name="Alpha Team Room")
    two = await make_space(client, headers, name="Beta Team Room")
    await make_post(client, headers, one["id"], "Quarterly planning notes")
    await make_post(client, headers, two["id"], "Quarterly planning agenda")

    page = await client.get("/search", params={"q": "quarterly", "space": one["id"]})
    items = _results(page.text)
    assert len(items) == 1 and "in Alpha Team Room" in items[0]
    chip = r'<span class="chip">Alpha Team Room <a href="/search\?q=quarterly"'
    assert re.search(chip, page.text)
    assert f'<option value="{one["id"]}" selected>Alpha Team Room</option>' in page.text
    assert f'<option value="{two["id"]}" >Beta Team Room</option>' in page.text


async def test_a_secret_space_filter_tells_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    owner = await make_person(db, name="Olga Owner")
    owner_headers = await auth_headers(client, owner)
    secret = await make_space(client, owner_headers, name="Hush Project", visibility="secret")
    await make_post(client, owner_headers, secret["id"], "Hush merger details")
    await _signed_in(client, db, name="Ines Insider")

    for space in (secret["id"], "999999999"):
        page = await client.get("/search", params={"q": "merger", "space": space})
        assert page.status_code == 200
        assert "That space is not one you can search." in page.text
        assert "Hush" not in page.text
        assert _results(page.text) == []


async def test_more_results_link_pages_without_and_with_htmx(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = await _signed_in(client, db)
    space = await make_space(client, headers, name="Paging Guild")
    made = [await make_post(client, headers, space["id"], f"Flamingo note {n}") for n in range(23)]

    first = await client.get("/search", params={"q": "flamingo", "type": "post"})
    assert len(_results(first.text)) == 20
    more = re.search(r'class="button secondary" href="([^"]+)"[^>]*>More results</a>', first.text)
    assert more is not None
    url = html.unescape(more.group(1))
    assert url.startswith("/search?q=flamingo&type=post&cursor=")

    second = await client.get(url)  # no JavaScript: a whole page
    assert "<h1>Search</h1>" in second.text
    assert len(_results(second.text)) == 3 and "More results" not in second.text
    appended = await client.get(url, headers={"HX-Request": "true"})  # htmx: only the items
    assert "<h1>" not in appended.text and len(_results(appended.text)) == 3
    seen = re.findall(r'href="/posts/(\d+)"', first.text + second.text)
    assert sorted(seen) == sorted(p["id"] for p in made)


async def test_no_query_teaches_the_query_language(client, db) -> None:  # type: ignore[no-untyped-def]
    await _signed_in(client, db)
    page = await client.get("/search")
    assert page.status_code == 200
    assert "How to search" in page.text
    for example in ("&#34;release train&#34;", "kube*", "incident -drill"):
        assert example in page.text or html.unescape(example) in page.text


async def test_no_results_suggests_what_to_try(client, db) -> None:  # type: ignore[no-untyped-def]
    await _signed_in(client, db)
    page = await client.get("/search", params={"q": "xylophonist", "type": "post"})
    assert page.status_code == 200
    assert "Nothing found for “xylophonist”" in page.text
    assert "Check the spelling." in page.text and "fewer words" in page.text
    assert 'href="/search?q=xylophonist&amp;type=person">Try People</a>' in page.text
    assert 'href="/search?q=xylophonist">Search all kinds of results</a>' in page.text


async def test_bad_input_is_a_message_not_an_error_page(client, db) -> None:  # type: ignore[no-untyped-def]
    await _signed_in(client, db)
    punctuation = await client.get("/search", params={"q": "?!. ---"})
    assert punctuation.status_code == 422
    assert "punctuation alone finds nothing" in punctuation.text
    assert 'value="?!. ---"' in punctuation.text  # kept, so it can be corrected

    for cursor in ("not-a-cursor", "WzEsMiwzXQ", "W10"):  # garbage, [1,2,3] of another list, []
        foreign = await client.get("/search", params={"q": "hello", "cursor": cursor})
        assert foreign.status_code in (200, 422), cursor
        assert "Start again" in foreign.text or _results(foreign.text) == []
    bad = await client.get("/search", params={"q": "hello", "cursor": "not-a-cursor"})
    assert bad.status_code == 422 and "“more results” link is out of date" in bad.text

    kind = await client.get("/search", params={"q": "hello", "type": "gadget"})
    assert kind.status_code == 200 and "There is no such kind of result" in kind.text
    too_long = await client.get("/search", params={"q": "x" * 201})
    assert too_long.status_code == 422 and "Search" in too_long.text


async def test_suggest_offers_people_and_spaces_escaped_then_everywhere(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = await _signed_in(client, db)
    eve = await make_person(db, name="<b>Eve</b> Evans")
    space = await make_space(client, headers, name="Everest <i>Climbers</i>")
    await make_post(client, headers, space["id"], "Everest base camp logistics")

    r = await client.get("/search/suggest", params={"q": "eve"})
    assert r.status_code == 200
    options = re.findall(r'<li role="option"[^>]*data-href="([^"]+)"', r.text)
    assert options == [
        f"/people/{eve.id}",
        f"/spaces/{space['slug']}",
        "/search?q=eve",
    ]  # people and spaces by prefix (no posts), then "everywhere" last
    assert "&lt;b&gt;Eve&lt;/b&gt; Evans" in r.text and "<b>" not in r.text
    assert "Everest &lt;i&gt;Climbers&lt;/i&gt;" in r.text and "<i>" not in r.text
    assert "Search for “eve” everywhere" in r.text

    quoted = await client.get("/search/suggest", params={"q": '"><script>'})
    assert "<script>" not in quoted.text
    assert "Search for “&#34;&gt;&lt;script&gt;” everywhere" in quoted.text
    assert (await client.get("/search/suggest", params={"q": " "})).text.strip() == ""


async def test_top_bar_searches_everything(client, db) -> None:  # type: ignore[no-untyped-def]
    await _signed_in(client, db)
    page = (await client.get("/")).text
    assert '<form class="search" role="search" action="/search"' in page
    assert 'placeholder="Search Atoll…"' in page and 'role="combobox"' in page
    assert 'aria-controls="top-search-list"' in page and 'id="top-search-list"' in page
    assert '<script src="/static/search.js" defer></script>' in page


async def test_signed_out_goes_to_sign_in(client, db) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/search", params={"q": "anything"})
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?next=/search")
    suggest = await client.get("/search/suggest", params={"q": "ana"})
    assert suggest.status_code == 303 and suggest.headers["location"].startswith("/sign-in")
