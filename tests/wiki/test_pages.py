"""Wiki pages in the browser's face (httpx against the app): the tree, a page, the editor and
its merge view, history, diffs, restore, rename, delete — and who may do what."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.people.models import Person
from atoll.spaces import members as space_members
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from atoll.wiki.models import WikiPage, WikiRevision
from atoll.wiki.tree import build_tree
from tests.factories import access_to, make_person
from tests.web.helpers import asks, confirmation, csrf_of, sign_in


async def _space(db: AsyncSession, owner: Person, *members: Person, **kw: Any) -> Space:
    space = await spaces.do_create_space(
        db, actor=owner, **{"kind": "community", "visibility": "open", "name": "Guild", **kw}
    )
    for m in members:
        await space_members.do_add_member(
            db, access=await access_to(db, owner, space), person_id=m.id
        )
    await db.commit()
    return space


def _other(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def _token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/")).text)


async def _save(
    client: httpx.AsyncClient,
    token: str,
    path: str,
    *,
    title: str,
    body: str,
    base: int = 0,
    summary: str = "",
    parent: str = "",
) -> httpx.Response:
    return await client.post(
        f"{path}/edit",
        data={
            "csrf_token": token,
            "title": title,
            "body": body,
            "summary": summary,
            "base_revision": str(base),
            "parent": parent,
        },
    )


async def _page(db: AsyncSession, slug: str) -> WikiPage:
    db.expire_all()
    return (await db.execute(select(WikiPage).where(WikiPage.slug == slug))).scalar_one()


async def test_create_link_follow_the_red_link_and_see_linked_from(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana Silva")
    await _space(db, ana)
    await sign_in(client, ana.email)
    space_page = await client.get("/spaces/guild")
    assert 'href="/spaces/guild/wiki"' in space_page.text and ">Wiki<" in space_page.text
    empty = await client.get("/spaces/guild/wiki")
    assert empty.status_code == 200 and "This wiki has no pages yet" in empty.text
    token = csrf_of(empty.text)

    opened = await client.get("/spaces/guild/wiki", params={"new": "Team home"})
    assert opened.status_code == 303
    assert opened.headers["location"] == "/spaces/guild/wiki/team-home/edit?title=Team+home"
    editor = await client.get(opened.headers["location"])
    assert editor.status_code == 200 and 'value="Team home"' in editor.text
    assert 'name="base_revision" value="0"' in editor.text

    saved = await _save(
        client,
        token,
        "/spaces/guild/wiki/team-home",
        title="Team home",
        body="See [[Release checklist]].",
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/spaces/guild/wiki/team-home?saved=1"
    home = await client.get(saved.headers["location"])
    assert (
        "Saved as revision 1" in home.text and "edited by" in home.text and "Ana Silva" in home.text
    )
    red = re.search(r'<a href="([^"]+)" class="wikilink missing"', home.text)
    assert red, home.text
    red_link = red.group(1).replace("&amp;", "&")
    assert red_link == "/spaces/guild/wiki/release-checklist/edit?title=Release+checklist"
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">just now</time>', home.text
    )

    new_page = await client.get(red_link)
    assert new_page.status_code == 200 and 'value="Release checklist"' in new_page.text
    created = await _save(
        client,
        token,
        "/spaces/guild/wiki/release-checklist",
        title="Release checklist",
        body="1. Tag\n2. Ship",
        parent="team-home",
    )
    assert created.status_code == 303
    home = await client.get("/spaces/guild/wiki/team-home")
    assert 'href="/spaces/guild/wiki/release-checklist" class="wikilink"' in home.text
    assert "wikilink missing" not in home.text
    assert "Subpages" in home.text
    checklist = await client.get("/spaces/guild/wiki/release-checklist")
    linked = checklist.text.split('id="linked-from"')[1]
    assert 'href="/spaces/guild/wiki/team-home">Team home</a>' in linked
    index = await client.get("/spaces/guild/wiki")
    tree = index.text.split('aria-label="Pages of this wiki"')[1].split("</nav>")[0]
    # the checklist sits in a list nested inside the home page's item
    assert re.search(
        r"Team home</a>\s*<ul role=\"list\">\s*<li>\s*<a [^>]*>Release checklist", tree
    )


async def test_new_page_form_refuses_a_title_without_letters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    bad = await client.get("/spaces/guild/wiki", params={"new": "!!!"})
    assert bad.status_code == 422 and "at least one letter or digit" in bad.text
    token = await _token(client)
    empty_title = await _save(client, token, "/spaces/guild/wiki/x", title="  ", body="text")
    assert empty_title.status_code == 422 and "title: must not be empty" in empty_title.text
    assert "text</textarea>" in empty_title.text  # the draft is kept
    bad_base = await client.post(
        "/spaces/guild/wiki/x/edit",
        data={"csrf_token": token, "title": "X", "body": "", "base_revision": "two"},
    )
    assert bad_base.status_code == 422 and "base_revision" in bad_base.text
    assert (await db.execute(select(WikiPage))).first() is None


async def test_who_reads_and_who_edits(client: httpx.AsyncClient, db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben")  # a member of the space
    cleo = await make_person(db, name="Cleo")  # reads the open space without joining
    await _space(db, ana, ben)
    secret = await _space(db, ana, name="Hidden", visibility="secret")
    await sign_in(client, ana.email)
    token = await _token(client)
    await _save(client, token, "/spaces/guild/wiki/guide", title="Guide", body="Hello")
    await _save(client, token, "/spaces/hidden/wiki/plans", title="Plans", body="Secret plans")

    async with _other(client) as reader:
        await sign_in(reader, cleo.email)
        page = await reader.get("/spaces/guild/wiki/guide")
        assert page.status_code == 200 and "Hello" in page.text
        assert "/spaces/guild/wiki/guide/edit" not in page.text and ">Rename<" not in page.text
        assert "New page" not in page.text
        reader_token = csrf_of(page.text)
        refused = await _save(
            reader, reader_token, "/spaces/guild/wiki/guide", title="Guide", body="Mine", base=1
        )
        assert refused.status_code == 403 and "Join this space" in refused.text
        assert (await reader.get("/spaces/guild/wiki/guide/edit")).status_code == 403
        delete = await reader.post(
            "/spaces/guild/wiki/guide/delete", data={"csrf_token": reader_token}
        )
        assert delete.status_code == 403
        for path in ("", "/plans", "/plans/history", "/plans/revisions/1"):
            hidden = await reader.get(f"/spaces/hidden/wiki{path}")
            assert hidden.status_code == 404 and "Secret plans" not in hidden.text
        restore = await reader.post(
            "/spaces/hidden/wiki/plans/restore", data={"csrf_token": reader_token, "revision": "1"}
        )
        assert restore.status_code == 404

    async with _other(client) as stranger:
        signed_out = await stranger.get("/spaces/guild/wiki/guide")
        assert signed_out.status_code == 303 and "/sign-in" in signed_out.headers["location"]

    # the space restricts its wiki to moderators: Ben, a plain member, may no longer edit
    space = (await db.execute(select(Space).where(Space.slug == "guild"))).scalar_one()
    await spaces.do_update_space(
        db, access=await access_to(db, ana, space), changes={"wiki_moderators_only": True}
    )
    await db.commit()
    async with _other(client) as member:
        await sign_in(member, ben.email)
        page = await member.get("/spaces/guild/wiki/guide")
        assert "/spaces/guild/wiki/guide/edit" not in page.text
        refused = await _save(
            member, csrf_of(page.text), "/spaces/guild/wiki/guide", title="Guide", body="B", base=1
        )
        assert refused.status_code == 403 and "moderators" in refused.text
    assert (await _page(db, "guide")).body == "Hello"
    del secret


async def test_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    refused = await client.post(
        "/spaces/guild/wiki/guide/edit", data={"title": "Guide", "body": "x", "base_revision": "0"}
    )
    assert refused.status_code == 403 and "Reload the page" in refused.text
    forged = await _save(client, "0" * 64, "/spaces/guild/wiki/guide", title="Guide", body="x")
    assert forged.status_code == 403
    assert (await db.execute(select(WikiPage))).first() is None
    await _save(client, await _token(client), "/spaces/guild/wiki/guide", title="Guide", body="x")
    for action in ("delete", "rename", "restore"):
        r = await client.post(f"/spaces/guild/wiki/guide/{action}", data={"title": "New"})
        assert r.status_code == 403
    page = await _page(db, "guide")
    assert page.deleted_at is None and page.title == "Guide" and page.revision == 1


async def test_rename_and_the_old_address_redirects(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    await _save(client, token, "/spaces/guild/wiki/onboarding", title="Onboarding", body="Hi")
    await _save(client, token, "/spaces/guild/wiki/faq", title="FAQ", body="Q and A")
    form = await client.get("/spaces/guild/wiki/onboarding/rename")
    assert form.status_code == 200 and 'value="Onboarding"' in form.text
    taken = await client.post(
        "/spaces/guild/wiki/onboarding/rename", data={"csrf_token": token, "title": "faq"}
    )
    assert taken.status_code == 409 and "already titled" in taken.text
    renamed = await client.post(
        "/spaces/guild/wiki/onboarding/rename",
        data={"csrf_token": token, "title": "Welcome aboard"},
    )
    assert renamed.status_code == 303
    assert renamed.headers["location"] == "/spaces/guild/wiki/welcome-aboard?renamed=1"
    old = await client.get("/spaces/guild/wiki/onboarding")
    assert old.status_code == 308 and old.headers["location"] == "/spaces/guild/wiki/welcome-aboard"
    old_history = await client.get("/spaces/guild/wiki/onboarding/history?cursor=")
    assert old_history.status_code == 308
    assert old_history.headers["location"] == "/spaces/guild/wiki/welcome-aboard/history?cursor="
    history = await client.get("/spaces/guild/wiki/welcome-aboard/history")
    assert 'Renamed from "Onboarding"' in history.text.replace("&#34;", '"')
    page = await client.get("/spaces/guild/wiki/welcome-aboard")
    assert '<h1 id="wiki-title">Welcome aboard</h1>' in page.text


async def test_a_stale_save_shows_the_merge_view_and_saving_again_works(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    ben = await make_person(db, name="Ben Okafor")
    await _space(db, ana, ben)
    await sign_in(client, ana.email)
    token = await _token(client)
    path = "/spaces/guild/wiki/plan"
    await _save(client, token, path, title="Plan", body="Ship on Monday\nBring snacks")
    ana_editor = await client.get(f"{path}/edit")
    assert 'name="base_revision" value="1"' in ana_editor.text

    async with _other(client) as other:
        await sign_in(other, ben.email)
        ben_token = await _token(other)
        ben_saved = await _save(
            other, ben_token, path, title="Plan", body="Ship on Tuesday\nBring snacks", base=1
        )
        assert ben_saved.status_code == 303

    merge = await _save(
        client, token, path, title="Plan", body="Ship on Monday\nBring fruit", base=1
    )
    assert merge.status_code == 409
    text = merge.text
    assert "Someone saved this page while you were editing" in text
    assert "Ben Okafor saved revision 2" in text and "not saved yet" in text
    assert 'name="base_revision" value="2"' in text
    assert "Ship on Monday\nBring fruit</textarea>" in text  # her text stays in the editor
    assert "Their version (revision 2)" in text and "Your version (not saved)" in text
    assert '<del class="word">Tuesday</del>' in text and '<ins class="word">Monday</ins>' in text
    assert '<del class="word">snacks</del>' in text and '<ins class="word">fruit</ins>' in text
    assert "What they changed since revision 1" in text
    assert (await _page(db, "plan")).body == "Ship on Tuesday\nBring snacks"

    merged = await _save(
        client, csrf_of(text), path, title="Plan", body="Ship on Tuesday\nBring fruit", base=2
    )
    assert merged.status_code == 303
    page = await _page(db, "plan")
    assert (page.revision, page.body) == (3, "Ship on Tuesday\nBring fruit")


async def test_history_compare_view_a_revision_and_restore(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    path = "/spaces/guild/wiki/recipe"
    await _save(client, token, path, title="Recipe", body="Use red onions\n\nBake **hot**")
    await _save(
        client,
        token,
        path,
        title="Recipe",
        body="Use white onions\n\nBake **hot**",
        base=1,
        summary="Onion colour",
    )
    await _save(client, token, path, title="Recipe", body="Use white onions", base=2)

    history = await client.get(f"{path}/history")
    assert history.status_code == 200
    numbers = re.findall(r">r(\d+)</a>", history.text)
    assert numbers == ["3", "2", "1"]
    assert "Onion colour" in history.text
    assert 'name="from" value="2" aria-label="Compare from revision 2" checked' in history.text
    assert 'name="to" value="3" aria-label="Compare to revision 3" checked' in history.text

    compare = await client.get(f"{path}/compare", params={"from": "1", "to": "2"})
    assert compare.status_code == 200
    assert "Changes from revision 1 to revision 2" in compare.text
    assert '<del class="word">red</del>' in compare.text
    assert '<ins class="word">white</ins>' in compare.text
    assert "1 line removed, 1 added" in compare.text
    same = await client.get(f"{path}/revisions/1", params={"diff_to": "3"})
    assert same.status_code == 200 and "Changes from revision 1 to revision 3" in same.text
    assert "<del>Bake **hot**</del>" in same.text  # a whole removed line

    first = await client.get(f"{path}/revisions/1")
    assert first.status_code == 200 and "<strong>hot</strong>" in first.text
    assert (
        "You are looking at revision 1 of 3" in first.text and "Restore this revision" in first.text
    )

    restored = await client.post(f"{path}/restore", data={"csrf_token": token, "revision": "1"})
    assert restored.status_code == 303 and restored.headers["location"] == f"{path}?restored=1"
    page = await client.get(restored.headers["location"])
    assert "<strong>hot</strong>" in page.text and "red onions" in page.text
    assert "revision 4 is a copy of revision 1" in page.text
    history = await client.get(f"{path}/history")
    assert "restored from r1" in history.text
    revision = (await db.execute(select(WikiRevision).where(WikiRevision.number == 4))).scalar_one()
    assert revision.restored_from == 1


async def test_bad_revision_numbers_get_clear_answers(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    path = "/spaces/guild/wiki/notes"
    await _save(client, token, path, title="Notes", body="One")
    assert (await client.get(f"{path}/revisions/99")).status_code == 404
    assert (await client.get(f"{path}/revisions/abc")).status_code == 422
    assert (await client.get(f"{path}/revisions/0")).status_code == 404
    assert (await client.get(f"{path}/revisions/1?diff_to=7")).status_code == 404
    missing = await client.get(f"{path}/compare", params={"from": "1"})
    assert missing.status_code == 422 and "Pick two revisions" in missing.text
    assert (await client.get(f"{path}/compare?from=x&to=1")).status_code == 422
    assert (await client.get(f"{path}/history?cursor=nonsense")).status_code == 422
    bad = await client.post(f"{path}/restore", data={"csrf_token": token, "revision": "x"})
    assert bad.status_code == 422 and "revision" in bad.text
    none = await client.post(f"{path}/restore", data={"csrf_token": token, "revision": "12"})
    assert none.status_code == 404
    nowhere = await client.get("/spaces/guild/wiki/never-written")
    assert nowhere.status_code == 404 and "Write this page" in nowhere.text
    assert (await client.get("/spaces/nope/wiki")).status_code == 404


async def test_delete_says_it_can_be_undone_and_restore_brings_the_page_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    path = "/spaces/guild/wiki/old-notes"
    await _save(client, token, path, title="Old notes", body="Keep me")
    button = asks((await client.get(path)).text)[f"{path}/delete"]  # the dialog's words
    confirm = await client.get(f"{path}/delete")
    assert confirm.status_code == 200
    asked = confirmation(confirm.text)
    assert asked["question"] == button["question"] == "Delete “Old notes”?"
    assert "bring it back from its history" in button["detail"]
    assert asked["detail"] == button["detail"]  # no page links here: the same words
    assert (asked["confirm"], asked["back"]) == ("Delete the page", path)
    gone = await client.post(f"{path}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert gone.headers["location"] == "/spaces/guild/wiki?deleted=old-notes"
    index = await client.get(gone.headers["location"])
    assert "The page was deleted" in index.text and f'href="{path}/history"' in index.text
    tree = index.text.split('aria-label="Pages of this wiki"')[1].split("</nav>")[0]
    assert "Old notes" not in tree
    deleted_list = index.text.split('id="deleted-title"')[1]
    assert f'<a href="{path}/history">Old notes</a>' in deleted_list
    deleted = await client.get(path)
    assert deleted.status_code == 404 and "was deleted" in deleted.text
    assert f'href="{path}/history"' in deleted.text and "Keep me" not in deleted.text
    history = await client.get(f"{path}/history")
    assert history.status_code == 200 and "This page was deleted" in history.text
    assert 'aria-label="Restore revision 1"' in history.text
    back = await client.post(f"{path}/restore", data={"csrf_token": token, "revision": "1"})
    assert back.status_code == 303
    page = await client.get(path)
    assert page.status_code == 200 and "Keep me" in page.text
    assert 'id="deleted-title"' not in (await client.get("/spaces/guild/wiki")).text


async def test_preview_renders_wiki_links_like_the_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    await _save(client, token, "/spaces/guild/wiki/faq", title="FAQ", body="Answers")
    preview = await client.post(
        "/spaces/guild/wiki/new-one/preview",
        data={"csrf_token": token, "body": "See [[FAQ]] and [[Nowhere|there]] <script>x</script>"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert 'href="/spaces/guild/wiki/faq" class="wikilink"' in preview.text
    assert 'class="wikilink missing"' in preview.text and ">there</a>" in preview.text
    assert "<script>" not in preview.text


async def test_history_is_paginated_and_an_unchanged_save_makes_no_revision(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    path = "/spaces/guild/wiki/log"
    await _save(client, token, path, title="Log", body="entry 1")
    for n in range(2, 28):
        r = await _save(client, token, path, title="Log", body=f"entry {n}", base=n - 1)
        assert r.status_code == 303
    same = await _save(client, token, path, title="Log", body="entry 27", base=27)
    assert same.headers["location"] == f"{path}?unchanged=1"
    assert "Nothing changed" in (await client.get(same.headers["location"])).text
    first = await client.get(f"{path}/history")
    numbers = [int(n) for n in re.findall(r">r(\d+)</a>", first.text)]
    assert numbers == list(range(27, 2, -1))
    older = re.search(r'href="([^"]+/history\?cursor=[^"]+)">Older revisions', first.text)
    assert older
    second = await client.get(older.group(1).replace("&amp;", "&"))
    assert [int(n) for n in re.findall(r">r(\d+)</a>", second.text)] == [2, 1]
    assert "Older revisions" not in second.text and "← Newest revisions" in second.text


async def test_the_tree_nests_pages_and_the_parent_picker_avoids_loops(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    token = await _token(client)
    await _save(client, token, "/spaces/guild/wiki/a", title="A", body="")
    await _save(client, token, "/spaces/guild/wiki/b", title="B", body="", parent="a")
    await _save(client, token, "/spaces/guild/wiki/c", title="C", body="", parent="b")
    sub = await client.get("/spaces/guild/wiki", params={"new": "D", "parent": "c"})
    assert sub.headers["location"] == "/spaces/guild/wiki/d/edit?title=D&parent=c"
    new_editor = await client.get(sub.headers["location"])
    assert '<option value="c" selected>C</option>' in new_editor.text
    editor = await client.get("/spaces/guild/wiki/a/edit")
    options = re.findall(r'<option value="([^"]*)"', editor.text)
    assert options == [""]  # B and C are below A: neither can be its parent
    editor_c = await client.get("/spaces/guild/wiki/c/edit")
    assert re.findall(r'<option value="([^"]*)"', editor_c.text) == ["", "a", "b"]
    assert '<option value="b" selected>B</option>' in editor_c.text
    loop = await _save(
        client, token, "/spaces/guild/wiki/a", title="A", body="", base=1, parent="c"
    )
    assert loop.status_code == 422 and "below it" in loop.text
    page_c = await client.get("/spaces/guild/wiki/c")
    crumbs = page_c.text.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert crumbs.index(">A</a>") < crumbs.index(">B</a>")
    exists = await client.get("/spaces/guild/wiki", params={"new": "b"})
    assert exists.headers["location"] == "/spaces/guild/wiki/b?exists=1"


async def test_externals_edit_a_hybrid_wiki_only_when_the_space_allows(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    guest = await make_person(db, name="Gus Guest", kind="external", role="guest")
    space = await _space(db, ana, guest, name="Deal room", kind="hybrid", visibility="private")
    await sign_in(client, ana.email)
    await _save(
        client, await _token(client), "/spaces/deal-room/wiki/terms", title="Terms", body="v1"
    )
    async with _other(client) as other:
        await sign_in(other, guest.email)
        page = await other.get("/spaces/deal-room/wiki/terms")
        assert page.status_code == 200 and "v1" in page.text
        assert "/spaces/deal-room/wiki/terms/edit" not in page.text
        token = csrf_of(page.text)
        refused = await _save(
            other, token, "/spaces/deal-room/wiki/terms", title="Terms", body="v2", base=1
        )
        assert refused.status_code == 403 and "Guests cannot edit" in refused.text
        await spaces.do_update_space(
            db, access=await access_to(db, ana, space), changes={"wiki_externals_may_edit": True}
        )
        await db.commit()
        page = await other.get("/spaces/deal-room/wiki/terms")
        assert "/spaces/deal-room/wiki/terms/edit" in page.text
        allowed = await _save(
            other, token, "/spaces/deal-room/wiki/terms", title="Terms", body="v2", base=1
        )
        assert allowed.status_code == 303
    assert (await _page(db, "terms")).body == "v2"


async def test_addresses_no_page_can_have_are_not_found(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana = await make_person(db, name="Ana")
    await _space(db, ana)
    await sign_in(client, ana.email)
    for path in (
        "/spaces/%00/wiki",
        "/spaces/guild/wiki/%00",
        "/spaces/guild/wiki/%00/edit",
        "/spaces/guild/wiki/%00/history",
        "/spaces/guild/wiki/" + "a" * 300,
    ):
        assert (await client.get(path)).status_code == 404, path


def test_the_tree_survives_orphans_and_a_loop_of_parents() -> None:
    def page(pid: int, parent: int | None) -> WikiPage:
        return WikiPage(id=pid, parent_id=parent, title=f"P{pid}", slug=f"p{pid}")

    # 2 under 1; 3's parent is gone (deleted); 4 and 5 are each other's parent
    roots = build_tree([page(1, None), page(2, 1), page(3, 99), page(4, 5), page(5, 4)])
    shape = {n.page.id: [c.page.id for c in n.children] for n in roots}
    assert shape[1] == [2] and shape[3] == []
    assert shape[4] == [5] and 5 not in shape and len(roots) == 3  # the loop shows once
    shown = [n.page.id for n in roots] + [c.page.id for n in roots for c in n.children]
    assert sorted(shown) == [1, 2, 3, 4, 5]


async def test_anyone_reads_a_public_wiki_and_signs_in_to_edit(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await make_person(db, name="Ada", role="admin")
    await _space(db, admin, name="Open source", kind="public")
    await sign_in(client, admin.email)
    await _save(
        client, await _token(client), "/spaces/open-source/wiki/faq", title="FAQ", body="Ask"
    )
    async with _other(client) as anonymous:
        page = await anonymous.get("/spaces/open-source/wiki/faq")
        assert page.status_code == 200 and "Ask" in page.text
        assert "/spaces/open-source/wiki/faq/edit" not in page.text
        assert "live.js" not in page.text
        assert (await anonymous.get("/spaces/open-source/wiki/faq/history")).status_code == 200
        edit = await anonymous.get("/spaces/open-source/wiki/faq/edit")
        assert edit.status_code == 303
        assert edit.headers["location"] == "/sign-in?next=/spaces/open-source/wiki/faq/edit"
