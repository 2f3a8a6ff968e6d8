"""The history is complete and exact, whatever happens to a page (a property test over random
sequences of saves, stale saves, restores, renames and deletes), and reading a page with a
long history costs what reading a new page costs (the current text is on the page row)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from atoll.kit.errors import NotFound
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.wiki import links, service
from atoll.wiki.models import WikiPage, WikiRevision
from atoll.wiki.service import slugify
from atoll.wiki.writing import StaleRevision
from tests.factories import make_person
from tests.wiki.helpers import add, make_space, refused, wiki_for

TITLES = ["Plan", "plan", "Plan B", "Road map", "Café ☕ notes", "日本語"]
bodies = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=120,
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("save"), st.sampled_from(TITLES), bodies, st.booleans()),
        st.tuples(st.just("stale"), bodies),
        st.tuples(st.just("restore"), st.integers(min_value=0, max_value=50), st.booleans()),
        st.tuples(st.just("rename"), st.sampled_from(TITLES)),
        st.tuples(st.just("delete")),
    ),
    max_size=10,
)


@dataclass
class Model:
    """What the history must be: each revision's (title, body), and whether it is deleted."""

    revisions: list[tuple[str, str]] = field(default_factory=list)
    deleted: bool = False
    slugs: set[str] = field(default_factory=set)

    @property
    def current(self) -> tuple[str, str]:
        return self.revisions[-1]

    def add(self, title: str, body: str) -> None:
        self.revisions.append((title, body))
        self.slugs.add(slugify(title))
        self.deleted = False


async def _apply(
    db: AsyncSession, space: Space, people: list[Person], model: Model, op: tuple[Any, ...]
) -> None:
    kind = op[0]
    wiki = await wiki_for(db, people[0], space)
    page = await service.find_page(
        db, wiki=wiki, slug=slugify(model.current[0]), include_deleted=True
    )
    if kind == "save":
        _, title, body, other = op
        editor = people[1] if other else people[0]
        await service.do_save_page(
            db,
            editor=editor,
            wiki=wiki,
            slug=page.slug,
            title=title,
            body=body,
            base_revision=page.revision,
        )
        if model.deleted or (title, body) != model.current:
            model.add(title, body)
    elif kind == "stale":
        if len(model.revisions) < 2 or model.deleted:
            return
        async with refused(db, StaleRevision):
            await service.do_save_page(
                db,
                editor=people[1],
                wiki=wiki,
                slug=page.slug,
                title=model.current[0],
                body=model.current[1] + "\nstale " + op[1],
                base_revision=page.revision - 1,
            )
    elif kind == "restore":
        number = op[1] % len(model.revisions) + 1
        await service.do_restore(db, editor=people[int(op[2])], wiki=wiki, page=page, number=number)
        model.add(*model.revisions[number - 1])
    elif kind == "rename":
        if model.deleted:
            async with refused(db, NotFound):
                await service.do_rename(db, editor=people[0], wiki=wiki, page=page, title=op[1])
            return
        await service.do_rename(db, editor=people[0], wiki=wiki, page=page, title=op[1])
        if op[1] != model.current[0]:
            model.add(op[1], model.current[1])
    else:
        await service.do_delete_page(db, editor=people[0], wiki=wiki, page=page)
        model.deleted = True
    await db.commit()


async def _check(db: AsyncSession, space: Space, viewer: Person, model: Model) -> None:
    db.expunge_all()  # read back from the database, not from the session
    wiki = await wiki_for(db, viewer, space)
    page = await service.find_page(
        db, wiki=wiki, slug=slugify(model.current[0]), include_deleted=True
    )
    rows = (
        await db.execute(
            select(WikiRevision.number, WikiRevision.title, WikiRevision.body)
            .where(WikiRevision.page_id == page.id)
            .order_by(WikiRevision.number)
        )
    ).all()
    assert [r.number for r in rows] == list(range(1, len(model.revisions) + 1))
    assert [(r.title, r.body) for r in rows] == model.revisions
    for number, (title, body) in enumerate(model.revisions, start=1):
        one = await service.revision(db, page=page, number=number)
        assert (one.title, one.body) == (title, body)
    # the page row is the latest revision
    title, body = model.current
    assert (page.revision, page.title, page.body) == (len(model.revisions), title, body)
    assert page.slug == slugify(title)
    assert page.html == links.render(body, space_slug=space.slug)[0]
    assert (page.deleted_at is not None) == model.deleted
    # every slug the page ever had leads to it
    for slug in model.slugs:
        assert (await service.find_page(db, wiki=wiki, slug=slug, include_deleted=True)).id == (
            page.id
        )
    history = await service.revisions(db, page=page, limit=100)
    assert [r.number for r in history.items] == list(range(len(model.revisions), 0, -1))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=st.tuples(st.sampled_from(TITLES), bodies), steps=ops)
async def test_any_sequence_of_changes_keeps_the_history_complete_and_exact(
    db: AsyncSession, first: tuple[str, str], steps: list[tuple[Any, ...]]
) -> None:
    await db.rollback()
    db.expunge_all()
    owner = await make_person(db)
    other = await make_person(db)
    space = await make_space(db, owner, name=f"Prop {owner.id}")
    await add(db, space, other)
    people = [owner, other]
    wiki = await wiki_for(db, owner, space)
    await service.do_save_page(
        db, editor=owner, wiki=wiki, slug=slugify(first[0]), title=first[0], body=first[1]
    )
    await db.commit()
    model = Model()
    model.add(*first)
    for step in steps:
        await _apply(db, space, people, model, step)
    await _check(db, space, owner, model)


# --- a long history reads like a short one ----------------------------------------------------


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _page_with_history(
    db: AsyncSession, space: Space, editor: Person, title: str, count: int
) -> WikiPage:
    wiki = await wiki_for(db, editor, space)
    page = await service.do_save_page(
        db, editor=editor, wiki=wiki, slug=slugify(title), title=title, body="v1 [[Other]]"
    )
    await db.commit()
    if count > 1:
        now = utcnow()
        await db.execute(
            insert(WikiRevision),
            [
                {
                    "page_id": page.id,
                    "number": n,
                    "title": title,
                    "body": f"v{n} [[Other]]",
                    "summary": "",
                    "author_id": editor.id,
                    "created_at": now,
                }
                for n in range(2, count + 1)
            ],
        )
        html = links.render(f"v{count} [[Other]]", space_slug=space.slug)[0]
        await db.execute(
            update(WikiPage)
            .where(WikiPage.id == page.id)
            .values(revision=count, body=f"v{count} [[Other]]", html=html)
        )
        await db.commit()
    return page


async def _read(db: AsyncSession, space: Space, viewer: Person, slug: str) -> tuple[str, list[int]]:
    wiki = await wiki_for(db, viewer, space)
    page = await service.find_page(db, wiki=wiki, slug=slug)
    html = await service.rendered_html(db, wiki=wiki, page=page)
    history = await service.revisions(db, page=page, limit=25)
    return html, [r.number for r in history.items]


async def test_a_page_with_5000_revisions_reads_like_a_page_with_one(
    db: AsyncSession, app: Any
) -> None:
    ana = await make_person(db)
    space = await make_space(db, ana)
    await _page_with_history(db, space, ana, "Short", 1)
    await _page_with_history(db, space, ana, "Long", 5000)
    engine: AsyncEngine = app.state.engine
    counts = {}
    for slug, newest in (("short", 1), ("long", 5000)):
        db.expunge_all()
        with statements(engine) as seen:
            html, numbers = await _read(db, space, ana, slug)
        assert f"v{newest}" in html and numbers[0] == newest
        assert len(numbers) == min(25, newest)
        # the page and its links come from the page row: only the history query reads
        # revisions, and it asks for one page of them
        revision_reads = [s for s in seen if "wiki_revision" in s]
        assert len(revision_reads) == 1 and "LIMIT" in revision_reads[0].upper()
        counts[slug] = len(seen)
    assert counts["short"] == counts["long"]
