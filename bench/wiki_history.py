"""A wiki page with a long history opens as fast as a page with one revision.

On a fresh database: a page saved once, and a page with N revisions (default 5,000; ``--rows``
changes it). The long history is written by bulk INSERT (N saves through the service would
only slow the set-up); the page row then carries revision N, as a save leaves it. Cases, each
timed request by request on one session per request, as the app does:
- *open*: ``access_wiki`` + ``find_page`` + ``rendered_html`` + ``last_editor`` — what the page
  view and ``GET /spaces/{id}/wiki/{slug}`` do;
- *history*: ``find_page`` + the first page of ``revisions`` (25, newest first);
- *save*: one more revision through ``do_save_page``, committed.
Each long-history case has the same case on the one-revision page as its baseline (the ratio
should stay near 1.0x); the note gives p50 and p99 per request."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from atoll.kit.settings import Settings
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.passwords import Hashing
from atoll.people.service import do_create_person
from atoll.spaces.service import do_create_space
from atoll.wiki import links, service
from atoll.wiki.models import WikiPage, WikiRevision
from atoll.wiring import make_sessions
from bench import Figure, Options, benchmark
from bench.databases import fresh_engine

DEFAULT_REVISIONS = 5_000
READS = 300
SAVES = 50
BODY = (
    "## Steps\n\n1. Build the release from [[Build guide]].\n2. Run the checks in "
    "[[Release checklist]].\n3. Tell the [[Support team]].\n\n" + "Some words of text. " * 100
)


async def _setup(
    maker: async_sessionmaker[AsyncSession], hashing: Hashing, revisions: int
) -> tuple[int, int]:
    """The author's id and the space's id; pages "one" (1 revision) and "long" (N)."""
    async with maker() as db:
        author = await do_create_person(
            db,
            actor=None,
            hashing=hashing,
            name="Bench Author",
            email="bench@example.com",
            kind="member",
        )
        space = await do_create_space(
            db, actor=author, name="Bench wiki", kind="community", visibility="open"
        )
        wiki = await service.access_wiki(db, viewer=author, space_id=space.id)
        for title in ("One", "Long", "Build guide"):
            await service.do_save_page(
                db, editor=author, wiki=wiki, slug=title.lower(), title=title, body=BODY
            )
        await db.commit()
        page = await service.find_page(db, wiki=wiki, slug="long")
        now = utcnow()
        batch = 1_000
        for start in range(2, revisions + 1, batch):
            numbers = range(start, min(start + batch, revisions + 1))
            await db.execute(
                insert(WikiRevision),
                [
                    {
                        "page_id": page.id,
                        "number": n,
                        "title": "Long",
                        "body": f"{BODY}\n\nRevision {n}.",
                        "summary": f"edit {n}",
                        "author_id": author.id,
                        "created_at": now,
                    }
                    for n in numbers
                ],
            )
        body = f"{BODY}\n\nRevision {revisions}."
        await db.execute(
            update(WikiPage)
            .where(WikiPage.id == page.id)
            .values(
                revision=revisions,
                body=body,
                html=links.render(body, space_slug=space.slug)[0],
            )
        )
        await db.commit()
        return author.id, space.id


async def _open(db: AsyncSession, viewer: Person, space_id: int, slug: str) -> None:
    wiki = await service.access_wiki(db, viewer=viewer, space_id=space_id)
    page = await service.find_page(db, wiki=wiki, slug=slug)
    await service.rendered_html(db, wiki=wiki, page=page)
    await service.last_editor(db, page=page)


async def _history(db: AsyncSession, viewer: Person, space_id: int, slug: str) -> None:
    wiki = await service.access_wiki(db, viewer=viewer, space_id=space_id)
    page = await service.find_page(db, wiki=wiki, slug=slug)
    await service.revisions(db, page=page, limit=25)


async def _save(db: AsyncSession, viewer: Person, space_id: int, slug: str) -> None:
    wiki = await service.access_wiki(db, viewer=viewer, space_id=space_id)
    page = await service.find_page(db, wiki=wiki, slug=slug)
    await service.do_save_page(
        db,
        editor=viewer,
        wiki=wiki,
        slug=slug,
        title=page.title,
        body=f"{page.body}\nOne more line.",
        base_revision=page.revision,
    )
    await db.commit()


Step = Callable[[AsyncSession, Person, int, str], Awaitable[None]]


async def _time(
    maker: async_sessionmaker[AsyncSession],
    author_id: int,
    space_id: int,
    step: Step,
    times: int,
) -> tuple[list[float], list[float]]:
    """Time ``step`` on the short and the long page, alternately (so that the machine's load,
    which drifts, weighs on both alike)."""
    took: dict[str, list[float]] = {"one": [], "long": []}
    for _ in range(times):
        for slug, into in took.items():
            async with maker() as db:
                viewer = await db.get(Person, author_id)
                assert viewer is not None
                started = time.perf_counter()
                await step(db, viewer, space_id, slug)
                into.append(time.perf_counter() - started)
    return took["one"], took["long"]


def _note(took: list[float]) -> str:
    cuts = statistics.quantiles(took, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms"


async def _run(kind: str, engine: AsyncEngine, revisions: int) -> list[Figure]:
    settings = Settings()
    maker = make_sessions(engine, settings)
    author_id, space_id = await _setup(maker, Hashing.of(settings), revisions)
    figures: list[Figure] = []
    cases: list[tuple[str, Step, int]] = [
        ("open", _open, READS),
        ("history", _history, READS),
        ("save", _save, SAVES),
    ]
    for name, step, times in cases:
        await _time(maker, author_id, space_id, step, 5)  # warm up
        short, long = await _time(maker, author_id, space_id, step, times)
        figures.append(Figure(kind, f"{name}: 1 revision", times, sum(short), note=_note(short)))
        figures.append(
            Figure(
                kind,
                f"{name}: {revisions:,} revisions",
                times,
                sum(long),
                baseline=sum(short),
                note=_note(long),
            )
        )
    return figures


@benchmark("wiki_history")
async def wiki_history(options: Options) -> list[Figure]:
    revisions = options.rows or DEFAULT_REVISIONS
    figures: list[Figure] = []
    for kind in options.dbs:
        async with fresh_engine(kind, "wiki") as engine:
            figures += await _run(kind, engine, revisions)
    return figures
