"""Searching: the ranked and visibility-filtered query on either database, and the counts per
author or space the expertise finder uses. The query language is ``search.language``; what a
hit shows, ``search.hits``.

Ranking blends relevance (bm25 on SQLite, ts_rank on PostgreSQL; a title weighs more than a
body) with recency (ts_rank normalised by the log of the length, as bm25 normalises by length):
``score = relevance × (0.6 + 0.4 × H / (H + age))`` with H = 30 days, so a
strong old match still beats a passing mention from yesterday, and between equals the newer
wins. To keep the cost bounded on a large corpus only the newest ``CANDIDATES`` visible matches
of a query are ranked (every match, for any query rarer than that).

Visibility is part of the SQL: content only from spaces the viewer may read
(``spaces.policy.readable_space_ids``), spaces the viewer may know of, people the viewer may
see. Nothing else is ever matched, ranked, counted or quoted in a snippet.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Invalid
from atoll.kit.pagination import decode_cursor, encode_cursor
from atoll.people.models import Person
from atoll.search.hits import Hit, hits_of
from atoll.search.language import Query, fts5_match, parse, tsquery_text
from atoll.search.models import CONTENT_KINDS, KINDS, NAME_KINDS, SearchDoc
from atoll.spaces.models import Space
from atoll.spaces.policy import (
    readable_space_ids,
    readable_spaces,
    visible_people,
    visible_spaces,
)

CANDIDATES = 1000
# PostgreSQL: the newest documents tried first (_content_candidates); docs/performance.md says
# why one window of this size.
WINDOWS = (100_000,)
FEW = 200  # at most this many readable spaces narrow the index itself (see _few_readable)
HALF_LIFE = 30 * 86400


# --- the ranked query -----------------------------------------------------------------------


def _visible(viewer: Person | None, kinds: Sequence[str]) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    content = [k for k in kinds if k in CONTENT_KINDS]
    if content:
        clauses.append(
            and_(SearchDoc.kind.in_(content), SearchDoc.space_id.in_(readable_space_ids(viewer)))
        )
    if "space" in kinds:
        clauses.append(
            and_(
                SearchDoc.kind == "space",
                SearchDoc.space_id.in_(select(Space.id).where(visible_spaces(viewer))),
            )
        )
    if "person" in kinds:
        clauses.append(
            and_(
                SearchDoc.kind == "person",
                SearchDoc.person_id.in_(select(Person.id).where(visible_people(viewer))),
            )
        )
    return or_(*clauses)


def _recency(now: int) -> ColumnElement[Any]:
    age = literal(now) - SearchDoc.stamp
    return 0.6 + 0.4 * HALF_LIFE / (HALF_LIFE + func.abs(age) * 1.0)


def _candidates(
    dialect: str,
    query: Query,
    *,
    names: bool,
    viewer: Person | None,
    kinds: Sequence[str],
    scope: Sequence[int] | None,
    now: int,
    min_id: int = 0,
) -> Select[Any]:
    """The newest CANDIDATES visible matches of one group (content or names), with score.
    ``scope``: only these spaces (a space filter, or all a viewer reads when that is few);
    ``min_id``: only documents after it (the newest window, tried first on PostgreSQL)."""
    filters = [_visible(viewer, kinds)]
    if len(kinds) == 1:
        filters.append(SearchDoc.kind == kinds[0])
    if min_id:
        filters.append(SearchDoc.id > min_id)
    if dialect == "sqlite":
        fts_name = "search_name_fts" if names else "search_fts"
        fts = table(fts_name, column("rowid"))
        weights = (4.0, 1.0) if names else (4.0, 1.0, 0.0)
        relevance = -func.bm25(literal_column(fts_name), *weights)
        matched = (
            select(SearchDoc.id, (relevance * _recency(now)).label("score"))
            .select_from(fts)
            .join(SearchDoc, SearchDoc.id == fts.c.rowid)
            .where(sql_text(f"{fts_name} MATCH :match_{int(names)}"), *filters)
            .order_by(fts.c.rowid.desc())
        )
        expression = fts5_match(query, names=names, scope=scope)
        matched = matched.params({f"match_{int(names)}": expression})
    else:
        config = "simple" if names else "english"
        tsq = func.to_tsquery(
            literal_column(f"'{config}'::regconfig"), bindparam(f"tsq_{int(names)}", type_=String)
        )
        tsv: ColumnElement[Any] = literal_column("search_doc.tsv")
        group = NAME_KINDS if names else CONTENT_KINDS
        if scope is not None:  # a list the planner can combine with the GIN index
            filters.append(SearchDoc.space_id.in_(scope))
        matched = (
            select(SearchDoc.id, (func.ts_rank(tsv, tsq, 1) * _recency(now)).label("score"))
            .where(SearchDoc.kind.in_(group), tsv.op("@@")(tsq), *filters)
            .order_by(SearchDoc.id.desc())
        )
        matched = matched.params({f"tsq_{int(names)}": tsquery_text(query, names=names)})
    return matched.limit(CANDIDATES)


@dataclass
class SearchPage:
    items: list[Hit]
    next_cursor: str | None = None


def _offset(cursor: str | None) -> int:
    values = decode_cursor(cursor)
    if values is None:
        return 0
    offset = values[0]
    if not isinstance(offset, int) or not 0 < offset < CANDIDATES * 2:
        raise Invalid.field("cursor", "is not a cursor this server gave out")
    return offset


async def _few_readable(session: AsyncSession, viewer: Person | None) -> list[int] | None:
    """The spaces an external (or a visitor) reads, when they are few enough to narrow the
    index with; None for members and admins, who read most spaces."""
    if viewer is not None and viewer.kind == "member":
        return None
    ids = list(
        await session.scalars(
            select(Space.id).where(readable_spaces(viewer)).order_by(Space.id).limit(FEW + 1)
        )
    )
    return ids if len(ids) <= FEW else None


async def _content_candidates(
    session: AsyncSession,
    dialect: str,
    query: Query,
    kinds: list[str],
    scope: list[int] | None,
    common: dict[str, Any],
) -> list[tuple[int, float]]:
    """The content candidates. On PostgreSQL the newest 100,000 documents are tried first, then
    all: when the window holds CANDIDATES matches, those are the newest CANDIDATES of all (the
    same answer), found without reading every match of a common word or phrase from the heap;
    a rarer word costs one more index lookup."""
    windows: tuple[int, ...] = (0,)
    if dialect == "postgresql":
        newest = await session.scalar(select(func.max(SearchDoc.id))) or 0
        windows = (*(newest - w for w in WINDOWS if w < newest), 0)
    for min_id in windows:
        statement = _candidates(
            dialect, query, names=False, kinds=kinds, scope=scope, min_id=min_id, **common
        )
        rows = [(r.id, float(r.score)) for r in await session.execute(statement)]
        if len(rows) >= CANDIDATES:
            break
    return rows


async def search(
    session: AsyncSession,
    *,
    viewer: Person | None,
    q: str,
    type: str | None = None,  # noqa: A002 - the contract's name
    space_id: int | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> SearchPage:
    """One page of what the viewer may see that matches ``q``, best first. Invalid for an
    empty query, an unknown type or a foreign cursor."""
    if type is not None and type not in KINDS:
        raise Invalid.field("type", "must be one of " + ", ".join(KINDS))
    query = parse(q)
    offset = _offset(cursor)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # The cost of a full-text plan depends on the words: plan each search for its own.
        await session.execute(sql_text("SET LOCAL plan_cache_mode = force_custom_plan"))
    now = int(time.time())
    kinds = [type] if type else list(KINDS)
    if space_id is not None:
        kinds = [k for k in kinds if k in CONTENT_KINDS]
    content = [k for k in kinds if k in CONTENT_KINDS]
    names = [k for k in kinds if k in NAME_KINDS]
    scope = [space_id] if space_id is not None else await _few_readable(session, viewer)
    common: dict[str, Any] = {"viewer": viewer, "now": now}
    ranked: list[tuple[int, float]] = []
    if content and scope != []:
        ranked += await _content_candidates(session, dialect, query, content, scope, common)
    if names:
        statement = _candidates(dialect, query, names=True, kinds=names, scope=None, **common)
        ranked += [(r.id, float(r.score)) for r in await session.execute(statement)]
    ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
    rows = ranked[offset : offset + limit + 1]
    more = len(rows) > limit and offset + limit < CANDIDATES
    rows = rows[:limit]
    hits = await hits_of(session, dialect, query, rows)
    return SearchPage(hits, encode_cursor([offset + limit]) if more else None)


# --- expertise ----------------------------------------------------------------


async def _counts_matching(
    session: AsyncSession, *, viewer: Person | None, text: str, by: str, limit: int
) -> dict[int, int]:
    """How many posts, comments and wiki pages the viewer may read match ``text``, per value
    of the column ``by`` (the ``limit`` largest), over the newest 5,000 matches: they speak
    for what is known and talked about now, and bound the cost."""
    try:
        query = parse(text)
    except Invalid:
        return {}
    key = getattr(SearchDoc, by)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = table("search_fts", column("rowid"))
        matched = (
            select(SearchDoc.id, key.label("key"))
            .select_from(fts)
            .join(SearchDoc, SearchDoc.id == fts.c.rowid)
            .where(sql_text("search_fts MATCH :m"), _visible(viewer, CONTENT_KINDS))
            .order_by(fts.c.rowid.desc())
            .params(m=fts5_match(query, names=False))
        )
    else:
        english: ColumnElement[Any] = literal_column("'english'::regconfig")
        tsq = func.to_tsquery(english, bindparam("tsq", type_=String))
        matched = (
            select(SearchDoc.id, key.label("key"))
            .where(
                SearchDoc.kind.in_(CONTENT_KINDS),
                literal_column("search_doc.tsv").op("@@")(tsq),
                _visible(viewer, CONTENT_KINDS),
            )
            .order_by(SearchDoc.id.desc())
            .params(tsq=tsquery_text(query, names=False))
        )
    recent = matched.where(key.is_not(None)).limit(CANDIDATES * 5).subquery()
    rows = await session.execute(
        select(recent.c.key, func.count().label("n"))
        .group_by(recent.c.key)
        .order_by(func.count().desc(), recent.c.key)
        .limit(limit)
    )
    return {int(value): int(n) for value, n in rows}


async def authors_matching(
    session: AsyncSession, *, viewer: Person | None, text: str, limit: int = 200
) -> dict[int, int]:
    """Person id → how many of the newest 5,000 readable matches of ``text`` they wrote."""
    return await _counts_matching(session, viewer=viewer, text=text, by="person_id", limit=limit)


async def spaces_matching(
    session: AsyncSession, *, viewer: Person | None, text: str, limit: int = 50
) -> dict[int, int]:
    """Space id → how many of the newest 5,000 readable matches of ``text`` are there."""
    return await _counts_matching(session, viewer=viewer, text=text, by="space_id", limit=limit)
