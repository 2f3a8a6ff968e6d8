"""Searching: the query language, the ranked and visibility-filtered query on either database,
snippets, and the per-author counts the expertise finder uses.

The query language: words (all must match; stemmed for content: "deploying" finds "deploy"),
``"quoted phrases"``, ``word*`` for a prefix, ``-word`` to leave out. People and spaces match
every word as a prefix ("ana sil" finds Ana Silva), so the type-ahead answers while typing.

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

import html
import re
import time
import unicodedata
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
    text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.errors import Invalid
from atoll.kit.markdown import first_line
from atoll.kit.pagination import decode_cursor, encode_cursor
from atoll.people.models import Person
from atoll.search.models import CONTENT_KINDS, KINDS, NAME_KINDS, SearchDoc
from atoll.spaces.models import Space
from atoll.spaces.policy import (
    readable_space_ids,
    readable_spaces,
    visible_people,
    visible_spaces,
)
from atoll.wiki.models import WikiPage

CANDIDATES = 1000
# PostgreSQL: the newest documents tried first (_content_candidates). Measured on 1,000,000
# posts: one window of 100,000 beat steps of 10,000 then 100,000 (p99 126 vs 146 ms).
WINDOWS = (100_000,)
FEW = 200  # at most this many readable spaces narrow the index itself (see _few_readable)
MAX_QUERY = 200
MAX_TERMS = 12
HALF_LIFE = 30 * 86400
OPEN, CLOSE = "\x02", "\x03"  # snippet marks, turned into <mark> after escaping

_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)


def parse(q: str) -> Query:
    """Split the text typed into terms. Punctuation inside a word ("node.js", "e-mail") makes
    a phrase of its parts, as the index splits them too."""
    terms: list[Term] = []
    for match in _CHUNK.finditer(q[:MAX_QUERY]):
        negated_phrase, phrase, bare = match.groups()
        if bare is not None:
            negated = bare.startswith("-") and len(bare) > 1
            chunk = bare[1:] if negated else bare
            prefix = chunk.endswith("*")
            words = tuple(w.lower() for w in _WORD.findall(chunk))
            if words:
                terms.append(Term(words, prefix=prefix, negated=negated, phrase=len(words) > 1))
        else:
            words = tuple(w.lower() for w in _WORD.findall(phrase or ""))
            if words:
                terms.append(Term(words, negated=bool(negated_phrase), phrase=True))
    query = Query(tuple(terms[:MAX_TERMS]))
    if not query.positive:
        raise Invalid.field("q", "needs at least one word to search for")
    return query


def _prefix(term: Term, names: bool) -> bool:
    """Whether a term matches as a prefix: every bare word of a name; in content, a word
    typed with ``*`` of two characters at least ("a*" would expand to a large share of the
    vocabulary: 350 ms on 1,000,000 posts; it matches the word "a")."""
    if names:
        return term.prefix or not term.phrase
    return term.prefix and len(term.words[-1]) >= 2


def _fts5(query: Query, *, names: bool, scope: Sequence[int] | None = None) -> str:
    """An FTS5 MATCH expression: every word quoted, so nothing typed is FTS5 syntax. Content
    matches the title and body only; ``scope`` narrows it to those spaces' documents."""

    def one(term: Term) -> str:
        quoted = '"' + " ".join(term.words) + '"'
        return quoted + " *" if _prefix(term, names) else quoted

    expression = " AND ".join(one(t) for t in query.positive)
    for term in query.terms:
        if term.negated:
            expression += " NOT " + one(term)
    if names:
        return expression
    expression = "{title body} : (" + expression + ")"
    if scope is not None:
        expression += " AND scope : (" + " OR ".join(f'"s{i}"' for i in scope) + ")"
    return expression


def _tsquery(query: Query, *, names: bool) -> str:
    """A ``to_tsquery`` text: words are ``\\w+`` only, so none of it is tsquery syntax."""

    def one(term: Term) -> str:
        if term.phrase:
            return "(" + " <-> ".join(term.words) + ")"
        word = term.words[0]
        return word + ":*" if _prefix(term, names) else word

    expression = " & ".join(one(t) for t in query.positive)
    for term in query.terms:
        if term.negated:
            expression += " & !" + one(term)
    return expression


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
            .where(text(f"{fts_name} MATCH :match_{int(names)}"), *filters)
            .order_by(fts.c.rowid.desc())
        )
        expression = _fts5(query, names=names, scope=scope)
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
        matched = matched.params({f"tsq_{int(names)}": _tsquery(query, names=names)})
    return matched.limit(CANDIDATES)


@dataclass
class Hit:
    type: str
    id: int
    title: str
    snippet: str
    snippet_html: str
    score: float
    url: str
    space_id: int | None = None
    space_name: str | None = None
    post_id: int | None = None
    at: int = 0


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
    hits = await _hydrate(session, dialect, query, rows)
    return SearchPage(hits, encode_cursor([offset + limit]) if more else None)


# --- turning document ids into results ------------------------------------------------------


def mark(snippet: str) -> str:
    """Escape a snippet and turn the match marks into ``<mark>``."""
    out, inside = [], False
    for piece in re.split(f"({OPEN}|{CLOSE})", snippet):
        if piece == OPEN:
            out.append("" if inside else "<mark>")
            inside = True
        elif piece == CLOSE:
            out.append("</mark>" if inside else "")
            inside = False
        else:
            out.append(html.escape(piece, quote=False))
    if inside:
        out.append("</mark>")
    return "".join(out)


SNIPPET_WORDS = 16


def _folded(word: str) -> str:
    """A word as the index compares it: lower case, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def prefix_snippet(body: str, prefixes: Sequence[str]) -> str:
    """The snippet of a search made only of prefixes (``chec*``), cut from the text here: up
    to SNIPPET_WORDS words from just before the first word that starts with one of them, each
    such word marked, "…" where text was left out. FTS5 would expand the prefixes over the
    whole index again to place its snippet (30 ms for "chec*" on 1,000,000 posts)."""
    words = list(_WORD.finditer(body))
    if not words:
        return ""
    hits = [any(_folded(w.group()).startswith(p) for p in prefixes) for w in words]
    first = hits.index(True) if any(hits) else 0
    start = max(0, min(first - 2, len(words) - SNIPPET_WORDS))
    end = min(len(words), start + SNIPPET_WORDS)
    out = ["…" if start > 0 else ""]
    at = words[start].start()
    for i in range(start, end):
        word = words[i]
        out.append(body[at : word.start()])
        out.append(OPEN + word.group() + CLOSE if hits[i] else word.group())
        at = word.end()
    out.append("…" if end < len(words) else body[at:])
    return "".join(out)


async def _snippets(
    session: AsyncSession, dialect: str, query: Query, docs: list[Any]
) -> dict[int, str]:
    """A snippet of the body around the matches, for the few documents shown."""
    out: dict[int, str] = {}
    content_prefixes = [
        _folded(t.words[0]) for t in query.positive if _prefix(t, names=False) and len(t.words) == 1
    ]
    for names in (False, True):
        ids = [d.id for d in docs if (d.kind in NAME_KINDS) == names]
        if not ids:
            continue
        if not names and dialect == "sqlite" and len(content_prefixes) == len(query.positive):
            bodies = await session.execute(
                select(SearchDoc.id, SearchDoc.body).where(SearchDoc.id.in_(ids))
            )
            out.update((i, prefix_snippet(body, content_prefixes)) for i, body in bodies.tuples())
            continue
        if dialect == "sqlite":
            fts = "search_name_fts" if names else "search_fts"
            listed = ",".join(str(i) for i in ids)
            # "rowid IN (…)" runs the match once per id: cheap for words, but a prefix is
            # expanded again each time (100 ms for "con*" on 1,000,000 posts). A prefix query
            # runs the match once over the ids' range instead, keeping the ids by a plain
            # filter (the "+" keeps FTS5 from taking it as an index constraint): 5 ms.
            where = (
                f"rowid BETWEEN {min(ids)} AND {max(ids)} AND +rowid IN ({listed})"
                if any(t.prefix for t in query.terms) or names
                else f"rowid IN ({listed})"
            )
            statement = text(
                f"SELECT rowid, snippet({fts}, 1, :open, :close, '…', 16) FROM {fts} "  # noqa: S608
                f"WHERE {fts} MATCH :match AND {where}"
            ).bindparams(open=OPEN, close=CLOSE, match=_fts5(query, names=names))
        else:
            config = "simple" if names else "english"
            statement = text(
                f"SELECT id, ts_headline('{config}', body, to_tsquery('{config}', :tsq), "  # noqa: S608
                "'StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, MaxFragments=2, "
                'FragmentDelimiter=" … "\') FROM search_doc WHERE id = ANY(:ids)'
            ).bindparams(tsq=_tsquery(query, names=names), ids=ids)
        for doc_id, snippet in await session.execute(statement):
            out[doc_id] = snippet or ""
    return out


async def _hydrate(
    session: AsyncSession, dialect: str, query: Query, ranked: list[tuple[int, float]]
) -> list[Hit]:
    if not ranked:
        return []
    ids = [doc_id for doc_id, _ in ranked]
    docs = {
        d.id: d
        for d in (
            await session.execute(
                select(
                    SearchDoc.id,
                    SearchDoc.kind,
                    SearchDoc.ref_id,
                    SearchDoc.space_id,
                    SearchDoc.post_id,
                    SearchDoc.title,
                    SearchDoc.stamp,
                ).where(SearchDoc.id.in_(ids))
            )
        ).all()
    }
    snippets = await _snippets(session, dialect, query, list(docs.values()))
    space_ids = {d.space_id for d in docs.values() if d.space_id is not None}
    spaces = {
        s.id: (s.slug, s.name)
        for s in (
            await session.execute(
                select(Space.id, Space.slug, Space.name).where(Space.id.in_(space_ids))
            )
        ).all()
    }
    post_ids = {d.post_id for d in docs.values() if d.kind in ("post", "comment")}
    post_rows = await session.execute(
        select(SearchDoc.ref_id, SearchDoc.body).where(
            SearchDoc.kind == "post", SearchDoc.ref_id.in_(post_ids)
        )
    )
    post_titles = {post_id: first_line(body) for post_id, body in post_rows.tuples()}
    page_ids = [d.ref_id for d in docs.values() if d.kind == "wiki"]
    slug_rows = await session.execute(
        select(WikiPage.id, WikiPage.slug).where(WikiPage.id.in_(page_ids))
    )
    page_slugs: dict[int, str] = dict(slug_rows.tuples().all())
    hits = []
    for doc_id, score in ranked:
        d = docs.get(doc_id)
        if d is None:
            continue
        snippet = snippets.get(doc_id, "")
        slug, space_name = spaces.get(d.space_id, ("", None)) if d.space_id else ("", None)
        if d.kind == "post":
            title = post_titles.get(d.ref_id) or "Post"
            url = f"/posts/{d.ref_id}"
        elif d.kind == "comment":
            title = "Comment on “" + (post_titles.get(d.post_id) or "a post") + "”"
            url = f"/posts/{d.post_id}#comment-{d.ref_id}"
        elif d.kind == "wiki":
            title = d.title
            url = f"/spaces/{slug}/wiki/{page_slugs.get(d.ref_id, '')}"
        elif d.kind == "space":
            title = d.title
            url = f"/spaces/{slug}"
        else:
            title = d.title
            url = f"/people/{d.ref_id}"
        hits.append(
            Hit(
                type=d.kind,
                id=d.ref_id,
                title=title,
                snippet=snippet.replace(OPEN, "").replace(CLOSE, ""),
                snippet_html=mark(snippet),
                score=score,
                url=url,
                space_id=d.space_id if d.kind in CONTENT_KINDS else None,
                space_name=space_name if d.kind in CONTENT_KINDS else None,
                post_id=d.post_id,
                at=d.stamp,
            )
        )
    return hits


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
            .params(m=_fts5(query, names=False))
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
            .params(tsq=_tsquery(query, names=False))
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
