"""Turning the ranked document ids of a search into what is shown: a title, a link, and a
snippet of the text around the matches (marked, escaped) for each hit."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, TextClause, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.markdown import first_line
from atoll.search.language import WORD, Query, fts5_match, is_prefix, tsquery_text
from atoll.search.models import CONTENT_KINDS, NAME_KINDS, SearchDoc
from atoll.spaces.models import Space
from atoll.wiki.models import WikiPage

OPEN, CLOSE = "\x02", "\x03"  # snippet marks, turned into <mark> after escaping
# What a hit shows of its document.
_SHOWN = (
    SearchDoc.id,
    SearchDoc.kind,
    SearchDoc.ref_id,
    SearchDoc.space_id,
    SearchDoc.post_id,
    SearchDoc.title,
    SearchDoc.stamp,
)


@dataclass
class Hit:
    """One search result as a page or the API shows it."""

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
    whole index again to place its snippet."""
    words = list(WORD.finditer(body))
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
    session: AsyncSession, dialect: str, query: Query, docs: Sequence[Row[Any]]
) -> dict[int, str]:
    """A snippet of the body around the matches, for the few documents shown."""
    out: dict[int, str] = {}
    prefixes = [
        _folded(t.words[0])
        for t in query.positive
        if is_prefix(t, names=False) and len(t.words) == 1
    ]
    for names in (False, True):
        ids = [d.id for d in docs if (d.kind in NAME_KINDS) == names]
        if not ids:
            continue
        if not names and dialect == "sqlite" and len(prefixes) == len(query.positive):
            bodies = await session.execute(
                select(SearchDoc.id, SearchDoc.body).where(SearchDoc.id.in_(ids))
            )
            out.update((i, prefix_snippet(body, prefixes)) for i, body in bodies.tuples())
            continue
        statement = (_fts5_snippets if dialect == "sqlite" else _headlines)(query, ids, names)
        for doc_id, snippet in await session.execute(statement):
            out[doc_id] = snippet or ""
    return out


def _fts5_snippets(query: Query, ids: list[int], names: bool) -> TextClause:
    """FTS5's snippets of the documents ``ids``. "rowid IN (…)" runs the match once per id:
    cheap for words, but a prefix would be expanded again each time. A prefix query (and a
    name's, whose words are all prefixes) runs the match once over the ids' range instead,
    keeping the ids by a plain filter (the "+" keeps FTS5 from taking it as an index
    constraint)."""
    fts = "search_name_fts" if names else "search_fts"
    listed = ",".join(str(i) for i in ids)
    where = (
        f"rowid BETWEEN {min(ids)} AND {max(ids)} AND +rowid IN ({listed})"
        if any(t.prefix for t in query.terms) or names
        else f"rowid IN ({listed})"
    )
    return text(
        f"SELECT rowid, snippet({fts}, 1, :open, :close, '…', 16) FROM {fts} "  # noqa: S608
        f"WHERE {fts} MATCH :match AND {where}"
    ).bindparams(open=OPEN, close=CLOSE, match=fts5_match(query, names=names))


def _headlines(query: Query, ids: list[int], names: bool) -> TextClause:
    """PostgreSQL's ``ts_headline`` of the documents ``ids``."""
    config = "simple" if names else "english"
    return text(
        f"SELECT id, ts_headline('{config}', body, to_tsquery('{config}', :tsq), "  # noqa: S608
        "'StartSel=\x02, StopSel=\x03, MaxWords=30, MinWords=12, MaxFragments=2, "
        'FragmentDelimiter=" … "\') FROM search_doc WHERE id = ANY(:ids)'
    ).bindparams(tsq=tsquery_text(query, names=names), ids=ids)


async def hits_of(
    session: AsyncSession, dialect: str, query: Query, ranked: list[tuple[int, float]]
) -> list[Hit]:
    """The hits of ranked (document id, score) pairs, in that order; a document removed
    since it was ranked is left out."""
    if not ranked:
        return []
    ids = [doc_id for doc_id, _ in ranked]
    rows = await session.execute(select(*_SHOWN).where(SearchDoc.id.in_(ids)))
    docs = {d.id: d for d in rows.all()}
    snippets = await _snippets(session, dialect, query, list(docs.values()))
    places = await _places(session, list(docs.values()))
    hits = []
    for doc_id, score in ranked:
        if (d := docs.get(doc_id)) is not None:
            hits.append(_hit(d, score, snippets.get(doc_id, ""), places))
    return hits


@dataclass
class _Places:
    """What the titles and links of some hits name: their spaces (slug, name), the first line
    of the posts they are or are on, and their wiki pages' slugs."""

    spaces: dict[int, tuple[str, str]]
    post_titles: dict[int, str]
    page_slugs: dict[int, str]


async def _places(session: AsyncSession, docs: list[Row[Any]]) -> _Places:
    space_ids = {d.space_id for d in docs if d.space_id is not None}
    spaces = await session.execute(
        select(Space.id, Space.slug, Space.name).where(Space.id.in_(space_ids))
    )
    post_ids = {d.post_id for d in docs if d.kind in ("post", "comment")}
    posts = await session.execute(
        select(SearchDoc.ref_id, SearchDoc.body).where(
            SearchDoc.kind == "post", SearchDoc.ref_id.in_(post_ids)
        )
    )
    page_ids = [d.ref_id for d in docs if d.kind == "wiki"]
    slugs = await session.execute(
        select(WikiPage.id, WikiPage.slug).where(WikiPage.id.in_(page_ids))
    )
    return _Places(
        spaces={s.id: (s.slug, s.name) for s in spaces},
        post_titles={post_id: first_line(body) for post_id, body in posts.tuples()},
        page_slugs=dict(slugs.tuples().all()),
    )


def _hit(d: Row[Any], score: float, snippet: str, places: _Places) -> Hit:
    slug, space_name = places.spaces.get(d.space_id, ("", None)) if d.space_id else ("", None)
    if d.kind == "post":
        title = places.post_titles.get(d.ref_id) or "Post"
        url = f"/posts/{d.ref_id}"
    elif d.kind == "comment":
        title = "Comment on “" + (places.post_titles.get(d.post_id) or "a post") + "”"
        url = f"/posts/{d.post_id}#comment-{d.ref_id}"
    elif d.kind == "wiki":
        title = d.title
        url = f"/spaces/{slug}/wiki/{places.page_slugs.get(d.ref_id, '')}"
    elif d.kind == "space":
        title = d.title
        url = f"/spaces/{slug}"
    else:
        title = d.title
        url = f"/people/{d.ref_id}"
    content = d.kind in CONTENT_KINDS
    return Hit(
        type=d.kind,
        id=d.ref_id,
        title=title,
        snippet=snippet.replace(OPEN, "").replace(CLOSE, ""),
        snippet_html=mark(snippet),
        score=score,
        url=url,
        space_id=d.space_id if content else None,
        space_name=space_name if content else None,
        post_id=d.post_id,
        at=d.stamp,
    )
