"""@mentions: find them in a body, resolve them to people who can read the space, and render
the body with each mention as a link to the person.

Two forms are understood, outside code spans and fenced code:
- ``@[123]`` — by id, what the composer's type-ahead inserts; unambiguous;
- ``@Full Name`` — by name, case-insensitively, the longest name (up to five words) that
  matches someone the author may see. Text after ``@`` that names nobody stays plain text
  (``@everyone``, ``@ 5pm``), and an e-mail address is not a mention.

A mention of someone the author may see but who cannot read the space is refused (they
would never see it): the author gets a clear error and nothing is stored. ``sync_mentions``
keeps a post's or comment's mention rows in step with its body."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations.models import Comment, Mention, Post
from atoll.kit.errors import Invalid
from atoll.kit.ids import parse_id
from atoll.kit.markdown import render_markdown
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Space
from atoll.spaces.policy import visible_people

MAX_MENTIONS = 50
MAX_BODY_SCANNED = 50_000  # a post's longest body
MAX_NAME_WORDS = 5
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TICKS = re.compile(r"`+")
_BY_ID = re.compile(r"(?<![\w@])@\[([0-9]{1,19})\]")
_AT = re.compile(r"(?<![\w@.+\-])@(?=[^\W_])")
_WORD = re.compile(r"[^\W_](?:[\w'’.\-]*[^\W_])?")
_GAP = re.compile(r"\.?[ \t]{1,3}")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&])")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass
class _Span:
    start: int
    end: int
    person_id: int | None = None  # set for @[id] (0 when the number cannot be an id)
    candidates: list[tuple[int, str]] = field(default_factory=list)  # (end, text) for @Name


@dataclass
class Parsed:
    """A body resolved: its sanitised HTML and the people it mentions (author excluded)."""

    html: str
    mentioned: list[Person]


def _fenced_blocks(body: str) -> list[tuple[int, int]]:
    """Where fenced code blocks are (line by line, linear in the body's length)."""
    ranges: list[tuple[int, int]] = []
    fence, start, pos = "", 0, 0
    for line in body.splitlines(keepends=True):
        if not fence:
            m = _FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in line[m.end() :]):
                fence, start = m.group(1), pos
        else:
            closing = line.strip()
            if (
                len(line) - len(line.lstrip(" ")) <= 3
                and len(closing) >= len(fence)
                and closing == fence[0] * len(closing)
            ):
                ranges.append((start, pos + len(line)))
                fence = ""
        pos += len(line)
    if fence:
        ranges.append((start, len(body)))
    return ranges


def _code_spans(body: str, fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where code spans are: a run of backticks up to the next run of the same length.

    Linear: each run is looked at a bounded number of times (a regex with a lazy ``.+?``
    would take quadratic time on runs of many different lengths)."""
    runs = [m.span() for m in _TICKS.finditer(body) if not _inside(fenced, m.start())]
    queues: dict[int, deque[int]] = defaultdict(deque)
    for index, (a, b) in enumerate(runs):
        queues[b - a].append(index)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        a, b = runs[i]
        queue = queues[b - a]
        while queue and queue[0] <= i:
            queue.popleft()
        if queue:
            j = queue.popleft()
            spans.append((a, runs[j][1]))
            i = j + 1
        else:
            i += 1
    return spans


def _code_ranges(body: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping ranges of fenced code and code spans."""
    fenced = _fenced_blocks(body)
    return sorted(fenced + _code_spans(body, fenced))


def _inside(ranges: list[tuple[int, int]], pos: int) -> bool:
    i = bisect_right(ranges, (pos + 1, -1)) - 1  # the last range starting at or before pos
    return i >= 0 and ranges[i][0] <= pos < ranges[i][1]


def _name_candidates(body: str, start: int) -> list[tuple[int, str]]:
    """The texts of one to five words right after an ``@``, shortest first: (end, text)."""
    out: list[tuple[int, str]] = []
    pos = start
    for _ in range(MAX_NAME_WORDS):
        word = _WORD.match(body, pos)
        if word is None:
            break
        out.append((word.end(), " ".join(body[start : word.end()].split())))
        gap = _GAP.match(body, word.end())
        if gap is None:
            break
        pos = gap.end()
    return out


def _scan(body: str) -> list[_Span]:
    code = _code_ranges(body)
    spans = [
        _Span(m.start(), m.end(), person_id=parse_id(m.group(1)) or 0)
        for m in _BY_ID.finditer(body)
        if not _inside(code, m.start())
    ]
    for m in _AT.finditer(body):
        if not _inside(code, m.start()):
            spans.append(_Span(m.start(), m.end(), candidates=_name_candidates(body, m.end())))
    spans.sort(key=lambda s: s.start)
    if len(spans) > 4 * MAX_MENTIONS:
        raise Invalid.field("body", f"has too many @ signs (at most {4 * MAX_MENTIONS})")
    return spans


def _lowered(texts: set[str]) -> set[str]:
    """Both Unicode and ASCII-only lower-case forms: SQLite's lower() knows only ASCII."""
    return {t.lower() for t in texts} | {t.translate(_ASCII_LOWER) for t in texts}


def _escape(name: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", name)


async def _people(
    session: AsyncSession, *, author: Person, space: Space, ids: set[int], names: set[str]
) -> list[tuple[Person, bool]]:
    """The people the author may see with one of these ids or names, and whether each can
    read the space (one query)."""
    if not ids and not names:
        return []
    clauses = []
    if ids:
        clauses.append(Person.id.in_(ids))
    if names:
        clauses.append(func.lower(Person.name).in_(_lowered(names)))
    rows = await session.execute(
        select(Person, policy.readers_of(space).label("reads")).where(
            or_(*clauses), visible_people(author)
        )
    )
    return [(person, bool(reads)) for person, reads in rows.tuples().all()]


def _refuse(person: Person, reads: bool) -> None:
    if not person.is_active:
        raise Invalid.field(
            "body", f"@{person.name} no longer has an account here and cannot be mentioned"
        )
    if not reads:
        raise Invalid.field(
            "body",
            f"@{person.name} cannot see this space, so they would never read this; "
            "remove the mention or invite them first",
        )


def _resolve(
    spans: list[_Span], people: list[tuple[Person, bool]], refused: list[Person] | None = None
) -> list[tuple[_Span, Person]]:
    """The spans that name someone, with the person. A mention that cannot be made raises
    Invalid — or, given ``refused`` (the composer's preview), is left out: the people who
    cannot read the space (or have gone) are added to it, a name that is unknown or
    ambiguous stays text."""

    def refuse(person: Person, reads: bool) -> None:
        if refused is None:
            _refuse(person, reads)
        elif all(p.id != person.id for p in refused):
            refused.append(person)

    by_id = {p.id: (p, reads) for p, reads in people}
    by_name: dict[str, list[tuple[Person, bool]]] = {}
    for person, reads in people:
        by_name.setdefault(person.name.lower(), []).append((person, reads))
    resolved: list[tuple[_Span, Person]] = []
    covered = -1
    for span in spans:
        if span.start < covered:
            continue  # inside a name already matched
        if span.person_id is not None:
            found = by_id.get(span.person_id)
            if found is None:
                if refused is not None:
                    continue
                raise Invalid.field("body", f"@[{span.person_id}] names nobody you can mention")
            person, reads = found
            if not (reads and person.is_active):
                refuse(person, reads)
                continue  # (when not raised)
            resolved.append((span, person))
            covered = span.end
            continue
        for end, text in reversed(span.candidates):  # the longest name that matches
            matches = by_name.get(text.lower(), [])
            if not matches:
                continue
            readers = [p for p, reads in matches if reads and p.is_active]
            if not readers:
                refuse(*matches[0])
                span.end, covered = end, end
                break
            if len(readers) > 1:
                if refused is not None:
                    break
                raise Invalid.field(
                    "body",
                    f"@{text} matches {len(readers)} people; pick one from the suggestions "
                    "(it writes @[id])",
                )
            span.end = end
            resolved.append((span, readers[0]))
            covered = end
            break
    return resolved


async def parse_body(session: AsyncSession, *, author: Person, space: Space, body: str) -> Parsed:
    """Resolve the mentions in ``body`` for a post or comment in ``space`` and render it.

    Raises Invalid (422, field "body") for a mention of someone who cannot read the space, an
    ``@[id]`` that names nobody the author may see, an ambiguous name, or too many mentions."""
    spans = _scan(body)
    ids = {s.person_id for s in spans if s.person_id is not None}
    names = {text for s in spans for _, text in s.candidates}
    people = await _people(session, author=author, space=space, ids=ids, names=names)
    resolved = _resolve(spans, people)
    mentioned: dict[int, Person] = {}
    parts: list[str] = []
    pos = 0
    for span, person in resolved:
        parts.append(body[pos : span.start])
        parts.append(f"[@{_escape(person.name)}](/people/{person.id})")
        pos = span.end
        if person.id != author.id:
            mentioned.setdefault(person.id, person)
    parts.append(body[pos:])
    if len(mentioned) > MAX_MENTIONS:
        raise Invalid.field("body", f"mentions more than {MAX_MENTIONS} people")
    return Parsed(html=render_markdown("".join(parts)), mentioned=list(mentioned.values()))


@dataclass
class Resolved:
    """What a draft's mentions come to, before it is posted (the composer's preview): the
    people it would mention (author excluded) and those it names who cannot be told — they
    cannot read the space, or no longer have an account."""

    mentioned: list[Person]
    cannot_see: list[Person]


async def resolve_mentions(
    session: AsyncSession, *, author: Person, space: Space, body: str
) -> Resolved:
    """``parse_body``'s mentions without its refusals: what posting ``body`` would mention,
    and whom it names in vain (posting it as it is would be refused, saying why)."""
    spans = _scan(body[:MAX_BODY_SCANNED])
    ids = {s.person_id for s in spans if s.person_id is not None}
    names = {text for s in spans for _, text in s.candidates}
    people = await _people(session, author=author, space=space, ids=ids, names=names)
    refused: list[Person] = []
    resolved = _resolve(spans, people, refused)
    mentioned: dict[int, Person] = {}
    for _, person in resolved:
        if person.id != author.id:
            mentioned.setdefault(person.id, person)
    return Resolved(
        mentioned=list(mentioned.values())[:MAX_MENTIONS],
        cannot_see=[p for p in refused if p.id != author.id],
    )


def mentioned_ids(body: str) -> set[int]:
    """The ids of the ``@[id]`` mentions in a body (for rendering older versions)."""
    return {s.person_id for s in _scan(body) if s.person_id}


async def names_of(
    session: AsyncSession, *, viewer: Person | None, ids: set[int]
) -> dict[int, str]:
    """Names of the people with these ids whom the viewer may see (one query)."""
    if not ids or viewer is None:
        return {}
    rows = await session.execute(
        select(Person.id, Person.name).where(Person.id.in_(ids), visible_people(viewer))
    )
    return dict(rows.tuples().all())


def text_with_names(body: str, names: dict[int, str]) -> str:
    """The body with ``@[id]`` mentions written ``@Name`` (people not in ``names``: as
    "@someone"), for plain-text excerpts."""
    parts: list[str] = []
    pos = 0
    for span in _scan(body):
        if span.person_id is None:
            continue
        parts.append(body[pos : span.start])
        parts.append("@" + names.get(span.person_id, "someone"))
        pos = span.end
    parts.append(body[pos:])
    return "".join(parts)


def render_with_names(body: str, names: dict[int, str]) -> str:
    """Render an older version of a body (revision history): ``@[id]`` mentions of people in
    ``names`` become links; nothing is checked against the space's readers."""
    parts: list[str] = []
    pos = 0
    for span in _scan(body):
        name = names.get(span.person_id or 0)
        if name is None:
            continue
        parts.append(body[pos : span.start])
        parts.append(f"[@{_escape(name)}](/people/{span.person_id})")
        pos = span.end
    parts.append(body[pos:])
    return render_markdown("".join(parts))


async def sync_mentions(
    session: AsyncSession,
    *,
    post: Post,
    comment: Comment | None,
    people: Sequence[Person],
    new: bool = False,
) -> list[Person]:
    """Make the mention rows of a post's or comment's body exactly ``people``. Returns the
    people newly mentioned. ``new``: the post or comment was made in this transaction, it has
    no mention rows yet."""
    where = [Mention.post_id == post.id]
    where.append(
        Mention.comment_id == comment.id if comment is not None else Mention.comment_id.is_(None)
    )
    before: set[int] = set()
    if not new:
        before = set((await session.execute(select(Mention.person_id).where(*where))).scalars())
    wanted = {p.id for p in people}
    gone = before - wanted
    if gone:
        await session.execute(delete(Mention).where(*where, Mention.person_id.in_(gone)))
    fresh = [p for p in people if p.id not in before]
    session.add_all(
        Mention(post_id=post.id, comment_id=comment.id if comment else None, person_id=p.id)
        for p in fresh
    )
    return fresh
