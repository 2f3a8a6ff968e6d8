"""The wiki service: saving, history, stale saves, restore, rename, delete, links, the tree."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.events.models import Event
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.people.models import Person
from atoll.wiki import service
from atoll.wiki.models import WikiLink, WikiPage, WikiRevision
from atoll.wiki.service import slugify
from atoll.wiki.writing import StaleRevision
from tests.factories import make_person
from tests.wiki.helpers import add, make_space, refused, save, wiki_for


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Release checklist", "release-checklist"),
        ("  Release   Checklist!  ", "release-checklist"),
        ("Café déjà vu", "café-déjà-vu"),
        ("Ünïcode — ПРИВЕТ мир", "ünïcode-привет-мир"),
        ("C++ & C#: 2024/25", "c-c-2024-25"),
        ("日本語のページ", "日本語のページ"),
        ("ﬁle", "file"),  # NFKC folds the ligature
        ("---", ""),
        ("a" * 250, "a" * 200),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))


async def _count(db: AsyncSession, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return int(await db.scalar(stmt) or 0)


async def test_create_then_edit_makes_numbered_revisions(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Release checklist", "1. build", summary="first")
    assert (page.slug, page.title, page.revision, page.body) == (
        "release-checklist",
        "Release checklist",
        1,
        "1. build",
    )
    assert "<ol>" in page.html
    page = await save(db, ana, space, "Release checklist", "1. build\n2. ship", base=1)
    assert page.revision == 2
    wiki = await wiki_for(db, ana, space)
    history = await service.revisions(db, page=page, limit=10, cursor=None)
    assert [(r.number, r.summary, r.author.name if r.author else None) for r in history.items] == [
        (2, "", "Ana"),
        (1, "first", "Ana"),
    ]
    first = await service.revision(db, page=page, number=1)
    assert (first.title, first.body) == ("Release checklist", "1. build")
    assert (await service.find_page(db, wiki=wiki, slug="release-checklist")).id == page.id


async def test_a_save_equal_to_the_current_text_makes_no_revision(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Notes", "same")
    page = await save(db, ana, space, "Notes", "same", base=1)
    assert page.revision == 1
    # even from a stale base: there is nothing to overwrite
    page = await save(db, ana, space, "Notes", "same", base=0, slug="notes")
    assert page.revision == 1
    assert await _count(db, WikiRevision, page_id=page.id) == 1


async def test_a_stale_save_is_refused_with_the_current_page(db: AsyncSession) -> None:
    ana = await make_person(db, name="Ana")
    bo = await make_person(db, name="Bo")
    space = await make_space(db, ana)
    await add(db, space, bo)
    await save(db, ana, space, "Plan", "v1")
    await save(db, bo, space, "Plan", "v2 by Bo", base=1)
    async with refused(db, StaleRevision) as caught:
        await save(db, ana, space, "Plan", "v2 by Ana", base=1)
    assert caught.value.status == 409
    assert caught.value.problem()["current_revision"] == 2
    # creating over an existing page is stale too (base 0 or none)
    for base in (0, None):
        async with refused(db, StaleRevision):
            await save(db, ana, space, "Plan", "new?", base=base)
    wiki = await wiki_for(db, ana, space)
    page = await service.find_page(db, wiki=wiki, slug="plan")
    assert (page.revision, page.body) == (2, "v2 by Bo")
    # merging and saving on the current revision works
    page = await save(db, ana, space, "Plan", "v2 by Bo\nand Ana", base=2)
    assert page.revision == 3


async def test_a_title_that_slugifies_to_an_existing_page_conflicts_on_create(
    db: AsyncSession,
) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Release checklist")
    async with refused(db, Conflict):
        await save(db, ana, space, "release  CHECKLIST!", slug="something-else")


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "x", "title"),
        ("   ", "x", "title"),
        ("!!!", "x", "title"),
        ("a" * 201, "x", "title"),
        ("a\x00b", "x", "title"),
        ("Fine", "a\x00b", "body"),
        ("Fine", "x" * 200_001, "body"),
    ],
)
async def test_bad_titles_and_bodies_are_refused(
    db: AsyncSession, title: str, body: str, field: str
) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    async with refused(db, Invalid) as caught:
        await save(db, ana, space, title, body, slug="fine")
    assert caught.value.errors[0]["field"] == field


async def test_titles_lose_invisible_controls(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Pay\u202eroll \u2067plan\u2069\u200b")
    assert page.title == "Payroll plan"
    renamed = await save(
        db, ana, space, "\ufeffPayroll\u200e\tplans", slug=page.slug, base=page.revision
    )
    assert renamed.title == "Payroll plans"
    async with refused(db, Invalid) as caught:  # nothing visible left
        await save(db, ana, space, "\u202e\u200b", slug="other")
    assert caught.value.errors[0]["field"] == "title"


async def test_limits_are_inclusive(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "t" * 200, "b" * 200_000)
    assert len(page.title) == 200 and len(page.body) == 200_000


async def test_restore_makes_a_new_revision_equal_to_the_old(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Plan", "one")
    await save(db, ana, space, "Plan", "two", base=1)
    wiki = await wiki_for(db, ana, space)
    page = await service.find_page(db, wiki=wiki, slug="plan")
    page = await service.do_restore(db, editor=ana, wiki=wiki, page=page, number=1)
    await db.commit()
    assert (page.revision, page.body) == (3, "one")
    third = await service.revision(db, page=page, number=3)
    assert (third.body, third.restored_from, third.summary) == ("one", 1, "Restored revision 1")
    async with refused(db, NotFound):
        await service.do_restore(db, editor=ana, wiki=wiki, page=page, number=9)


async def test_rename_redirects_the_old_slug_and_records_a_revision(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Old name", "body")
    wiki = await wiki_for(db, ana, space)
    page = await service.do_rename(db, editor=ana, wiki=wiki, page=page, title="New name")
    await db.commit()
    assert (page.slug, page.title, page.revision, page.body) == ("new-name", "New name", 2, "body")
    found = await service.find_page(db, wiki=wiki, slug="old-name")
    assert found.id == page.id and found.slug == "new-name"
    latest = await service.revision(db, page=page, number=2)
    assert latest.summary == 'Renamed from "Old name"'
    # a new page may take the old name back; the redirect then gives way
    other = await save(db, ana, space, "Old name", "another")
    assert other.id != page.id
    assert (await service.find_page(db, wiki=wiki, slug="old-name")).id == other.id
    # renaming onto another page's title conflicts
    async with refused(db, Conflict):
        await service.do_rename(db, editor=ana, wiki=wiki, page=page, title="OLD NAME")


async def test_a_save_with_a_new_title_renames(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Draft", "x")
    page = await save(db, ana, space, "Final", "y", slug="draft", base=1)
    assert (page.slug, page.revision) == ("final", 2)
    wiki = await wiki_for(db, ana, space)
    assert (await service.find_page(db, wiki=wiki, slug="draft")).id == page.id
    # saving through the old slug edits the same page
    page = await save(db, ana, space, "Final", "z", slug="draft", base=2)
    assert (page.slug, page.revision, page.body) == ("final", 3, "z")


async def test_delete_hides_the_page_and_restore_brings_it_back(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Gone soon", "text")
    wiki = await wiki_for(db, ana, space)
    await service.do_delete_page(db, editor=ana, wiki=wiki, page=page)
    await db.commit()
    async with refused(db, NotFound):
        await service.find_page(db, wiki=wiki, slug="gone-soon")
    assert await service.page_tree(db, wiki=wiki) == []
    assert [p.slug for p in await service.deleted_pages(db, wiki=wiki)] == ["gone-soon"]
    # its history is still there
    page = await service.find_page(db, wiki=wiki, slug="gone-soon", include_deleted=True)
    assert [r.number for r in (await service.revisions(db, page=page)).items] == [1]
    page = await service.do_restore(db, editor=ana, wiki=wiki, page=page, number=1)
    await db.commit()
    assert page.deleted_at is None and page.revision == 2
    assert (await service.find_page(db, wiki=wiki, slug="gone-soon")).id == page.id


async def test_saving_a_deleted_page_again_brings_it_back(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Phoenix", "one")
    wiki = await wiki_for(db, ana, space)
    await service.do_delete_page(db, editor=ana, wiki=wiki, page=page)
    await db.commit()
    saved = await service.do_save(
        db, editor=ana, wiki=wiki, slug="phoenix", title="Phoenix", body="again"
    )
    await db.commit()
    assert saved.created and saved.page.id == page.id
    assert (saved.page.revision, saved.page.deleted_at) == (2, None)


async def test_parent_pages_make_a_tree_without_cycles(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    other_space = await make_space(db, ana, name="Other")
    foreign = await save(db, ana, other_space, "Foreign")
    root = await save(db, ana, space, "Handbook")
    child = await save(db, ana, space, "Onboarding", parent_slug="handbook")
    grandchild = await save(db, ana, space, "First day", parent_slug="onboarding")
    assert (child.parent_id, grandchild.parent_id) == (root.id, child.id)
    wiki = await wiki_for(db, ana, space)
    tree = await service.page_tree(db, wiki=wiki)
    assert [p.title for p in tree] == ["First day", "Handbook", "Onboarding"]
    for bad in ("first-day", "handbook-missing", foreign.slug):
        async with refused(db, Invalid):
            await save(db, ana, space, "Handbook", "x", base=1, parent_slug=bad)
    async with refused(db, Invalid):  # a page is not its own parent
        await save(db, ana, space, "Handbook", "x", base=1, parent_slug="handbook")
    # "" makes it a root again; None keeps the parent
    page = await save(db, ana, space, "Onboarding", "v2", base=1)
    assert page.parent_id == root.id
    events_before = await _count(db, Event, type="wiki.updated")
    page = await save(db, ana, space, "Onboarding", "v2", base=2, parent_slug="")
    assert (page.parent_id, page.revision) == (None, 2)  # a move alone makes no revision
    assert await _count(db, Event, type="wiki.updated") == events_before + 1  # but is heard
    # the same text and parent change nothing, even from a stale base
    page = await save(db, ana, space, "Onboarding", "v2", base=1, parent_slug="")
    assert await _count(db, Event, type="wiki.updated") == events_before + 1


async def test_the_tree_then_a_full_page_in_one_session(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Alpha", "body of alpha")
    db.expunge_all()
    wiki = await wiki_for(db, ana, space)
    tree = await service.page_tree(db, wiki=wiki)
    page = await service.find_page(db, wiki=wiki, slug="alpha")
    assert page is tree[0] and page.body == "body of alpha"
    assert "body of alpha" in await service.rendered_html(db, wiki=wiki, page=page)


async def test_wiki_links_are_red_until_the_page_exists(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana, name="Team Space")
    page = await save(
        db, ana, space, "Home", "See [[Release checklist]] and [[Road map|the plan]]. `[[code]]`"
    )
    wiki = await wiki_for(db, ana, space)
    html = await service.rendered_html(db, wiki=wiki, page=page)
    assert (
        '<a href="/spaces/team-space/wiki/release-checklist/edit?title=Release+checklist" '
        'class="wikilink missing" title="Release checklist"'
    ) in html
    assert ">the plan</a>" in html and "<code>[[code]]</code>" in html
    links = set((await db.scalars(select(WikiLink.target_slug))).all())
    assert links == {"release-checklist", "road-map"}
    target = await save(db, ana, space, "Release checklist", "steps")
    html = await service.rendered_html(db, wiki=wiki, page=page)
    assert (
        '<a href="/spaces/team-space/wiki/release-checklist" class="wikilink" '
        'title="Release checklist"'
    ) in html
    assert [p.title for p in await service.linked_from(db, wiki=wiki, page=target)] == ["Home"]
    # a rename keeps the link blue (through the redirect) and "linked from" still finds it
    target = await service.do_rename(db, editor=ana, wiki=wiki, page=target, title="Checklist")
    await db.commit()
    html = await service.rendered_html(db, wiki=wiki, page=page)
    assert 'class="wikilink" title="Release checklist"' in html
    assert [p.title for p in await service.linked_from(db, wiki=wiki, page=target)] == ["Home"]
    # deleting the target turns the link red again
    await service.do_delete_page(db, editor=ana, wiki=wiki, page=target)
    await db.commit()
    html = await service.rendered_html(db, wiki=wiki, page=page)
    assert 'class="wikilink missing" title="Release checklist"' in html


async def test_wiki_link_html_stays_safe(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(
        db,
        ana,
        space,
        "Evil",
        '[["><script>alert(1)</script>]] [[x|<img src=x onerror=alert(1)>]] '
        '<a href="javascript:alert(1)" class="wikilink">x</a>',
    )
    wiki = await wiki_for(db, ana, space)
    html = await service.rendered_html(db, wiki=wiki, page=page)
    parser = _Elements()
    parser.feed(html)
    assert {tag for tag, _ in parser.found} == {"p", "a"}
    for _, attrs in parser.found:
        assert set(attrs) <= {"href", "class", "title", "rel"}
        assert attrs.get("href", "/spaces/").startswith("/spaces/")
    assert "&lt;a href" in html  # raw HTML stays text


async def test_unified_diff_between_revisions(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await save(db, ana, space, "Plan", "one\ntwo\n")
    page = await save(db, ana, space, "Plan B", "one\nthree\n", slug="plan", base=1)
    old = await service.revision(db, page=page, number=1)
    new = await service.revision(db, page=page, number=2)
    diff = service.unified_diff(old, new)
    assert diff.startswith("--- revision 1\n+++ revision 2\n")
    assert "-# Plan\n+# Plan B\n" in diff and "-two\n+three\n" in diff
    assert service.unified_diff(old, old) == ""


async def test_revisions_paginate_newest_first(db: AsyncSession) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    page = await save(db, ana, space, "Log", "0")
    for n in range(1, 7):
        page = await save(db, ana, space, "Log", str(n), base=n)
    seen: list[int] = []
    cursor = None
    while True:
        batch = await service.revisions(db, page=page, limit=3, cursor=cursor)
        seen += [r.number for r in batch.items]
        cursor = batch.next_cursor
        if cursor is None:
            break
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    async with refused(db, Invalid):
        await service.revisions(db, page=page, limit=3, cursor="bm9wZQ")


async def test_unreadable_wikis_are_not_found(db: AsyncSession) -> None:
    ana = await make_person(db)
    bo = await make_person(db)
    guest = await make_person(db, kind="external")
    for visibility in ("private", "secret"):
        space = await make_space(db, ana, name=f"S {visibility}", visibility=visibility)
        for viewer in (bo, guest):
            async with refused(db, NotFound):
                await wiki_for(db, viewer, space)
    open_space = await make_space(db, ana, name="Open")
    async with refused(db, NotFound):
        await wiki_for(db, guest, open_space)
    wiki = await wiki_for(db, bo, open_space)
    assert not wiki.can_edit and wiki.role is None
    async with refused(db, Forbidden):
        await save(db, bo, open_space, "Mine")
    assert await _count(db, WikiPage) == 0


async def test_a_closed_situation_room_is_read_only(db: AsyncSession) -> None:
    from datetime import timedelta

    from atoll.kit.time import utcnow

    ana = await make_person(db)
    space = await make_space(
        db, ana, name="Outage", kind="situation", closes_at=utcnow() + timedelta(days=1)
    )
    page = await save(db, ana, space, "Timeline", "10:00 down")
    space.closes_at = utcnow() - timedelta(minutes=1)
    await db.commit()
    wiki = await wiki_for(db, ana, space)
    assert not wiki.can_edit
    async with refused(db, Conflict) as caught:
        await save(db, ana, space, "Timeline", "10:05 up", base=1)
    assert "situation room has closed" in caught.value.detail
    async with refused(db, Conflict):
        await service.do_delete_page(db, editor=ana, wiki=wiki, page=page)
    assert (await service.find_page(db, wiki=wiki, slug="timeline")).body == "10:00 down"


async def test_readable_wiki_pages_filters_in_the_query(db: AsyncSession) -> None:
    from atoll.wiki.policy import readable_wiki_pages

    ana = await make_person(db)
    bo = await make_person(db)
    guest = await make_person(db, kind="external")
    open_space = await make_space(db, ana, name="Open")
    private = await make_space(db, ana, name="Closed", visibility="private")
    hybrid = await make_space(db, ana, name="With Acme", kind="hybrid", visibility="private")
    await add(db, hybrid, guest)
    await save(db, ana, open_space, "Open page")
    await save(db, ana, private, "Private page")
    await save(db, ana, hybrid, "Hybrid page")
    gone = await save(db, ana, open_space, "Gone page")
    wiki = await wiki_for(db, ana, open_space)
    await service.do_delete_page(db, editor=ana, wiki=wiki, page=gone)
    await db.commit()

    async def titles(viewer: Person | None) -> list[str]:
        rows = await db.scalars(
            select(WikiPage.title).where(readable_wiki_pages(viewer)).order_by(WikiPage.title)
        )
        return list(rows)

    assert await titles(ana) == ["Hybrid page", "Open page", "Private page"]
    assert await titles(bo) == ["Open page"]
    assert await titles(guest) == ["Hybrid page"]
    assert await titles(None) == []
