"""Writing the search documents: called by search's subscribers (``atoll.search.content``,
``atoll.search.directory``) inside the transaction of the change, so an edit or a delete is
searchable (or gone) the moment it commits; and ``reindex`` to build them all again from the
source tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import mentions
from atoll.conversations import policy as conversation_policy
from atoll.conversations.models import Comment, Post
from atoll.kit.markdown import plain_text
from atoll.people.models import Person, PersonSkill
from atoll.search.models import CONTENT_KINDS, SearchDoc
from atoll.spaces.models import Space
from atoll.wiki.models import WikiPage

Progress = Callable[[str, int, int], None]  # (what, done, total)
BATCH = 5000


def stamp(at: datetime) -> int:
    return int(at.timestamp())


def person_text(person: Person, skills: Iterable[str]) -> str:
    """What a person is found by besides their name: title, skills, organisation, bio."""
    parts = [person.title, " ".join(skills), person.organization or "", person.bio]
    return "\n".join(part for part in parts if part)


async def _readable(session: AsyncSession, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Content is indexed as a reader sees it: Markdown rendered to plain text (no syntax, no
    link targets) and, in posts and comments, ``@[id]`` mentions written ``@Name`` (one query
    per batch), so that a mention finds the person and snippets and titles read cleanly."""
    talk = [d for d in docs if d["kind"] in ("post", "comment")]
    ids = {i for d in talk for i in mentions.mentioned_ids(d["body"])}
    names: dict[int, str] = {}
    if ids:
        rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
        names = dict(rows.tuples().all())
    for doc in talk:
        doc["body"] = mentions.text_with_names(doc["body"], names)
    for doc in docs:
        if doc["kind"] in CONTENT_KINDS:
            doc["body"] = plain_text(doc["body"])
    return docs


async def _put(session: AsyncSession, values: dict[str, Any], *, new: bool = False) -> None:
    """Insert or replace the document of (kind, ref_id); ``new``: it cannot exist yet (the row
    was made in this transaction), insert it straight away."""
    await _readable(session, [values])
    if new:
        await session.execute(insert(SearchDoc).values(**values))
        return
    key = (SearchDoc.kind == values["kind"], SearchDoc.ref_id == values["ref_id"])
    changed = await session.execute(update(SearchDoc).where(*key).values(**values))
    if not getattr(changed, "rowcount", 0):
        await session.execute(insert(SearchDoc).values(**values))


def _post_values(post: Post) -> dict[str, Any]:
    return {
        "kind": "post",
        "ref_id": post.id,
        "space_id": post.space_id,
        "post_id": post.id,
        "person_id": post.author_id,
        "title": "",
        "body": post.body,
        "stamp": stamp(post.created_at),
    }


def _comment_values(comment: Comment, space_id: int) -> dict[str, Any]:
    return {
        "kind": "comment",
        "ref_id": comment.id,
        "space_id": space_id,
        "post_id": comment.post_id,
        "person_id": comment.author_id,
        "title": "",
        "body": comment.body,
        "stamp": stamp(comment.created_at),
    }


def _wiki_values(page: WikiPage) -> dict[str, Any]:
    return {
        "kind": "wiki",
        "ref_id": page.id,
        "space_id": page.space_id,
        "post_id": None,
        "person_id": page.updated_by_id,
        "title": page.title,
        "body": page.body,
        "stamp": stamp(page.updated_at),
    }


def _space_values(space: Space) -> dict[str, Any]:
    return {
        "kind": "space",
        "ref_id": space.id,
        "space_id": space.id,
        "post_id": None,
        "person_id": None,
        "title": space.name,
        "body": space.description,
        "stamp": stamp(space.created_at),
    }


def _person_values(person: Person, skills: Iterable[str]) -> dict[str, Any]:
    return {
        "kind": "person",
        "ref_id": person.id,
        "space_id": None,
        "post_id": None,
        "person_id": person.id,
        "title": person.name,
        "body": person_text(person, skills),
        "stamp": stamp(person.created_at),
    }


async def index_post(session: AsyncSession, post: Post, *, new: bool = False) -> None:
    await _put(session, _post_values(post), new=new)


async def index_comment(
    session: AsyncSession, comment: Comment, post: Post, *, new: bool = False
) -> None:
    await _put(session, _comment_values(comment, post.space_id), new=new)


async def index_wiki_page(session: AsyncSession, page: WikiPage) -> None:
    await _put(session, _wiki_values(page))


async def index_space(session: AsyncSession, space: Space) -> None:
    await _put(session, _space_values(space))


async def index_person(session: AsyncSession, person: Person) -> None:
    skills = await session.scalars(
        select(PersonSkill.name)
        .where(PersonSkill.person_id == person.id)
        .order_by(PersonSkill.name)
    )
    await _put(session, _person_values(person, skills))


async def unindex(session: AsyncSession, kind: str, ref_ids: Sequence[int]) -> None:
    await session.execute(
        delete(SearchDoc).where(SearchDoc.kind == kind, SearchDoc.ref_id.in_(ref_ids))
    )


async def index_restored(
    session: AsyncSession, post: Post, *, comment: Comment | None = None
) -> None:
    """A restored post with its live comments, or (``comment``) a restored comment with its
    live replies: their documents again — but what a moderator hid stays out of search."""
    if post.hidden_at is not None:
        return
    stmt = conversation_policy.with_parent(select(Comment)).where(
        Comment.post_id == post.id,
        conversation_policy.live_comment(),
        Comment.hidden_at.is_(None),
    )
    if comment is None:
        await _put(session, _post_values(post))
    else:
        stmt = stmt.where((Comment.id == comment.id) | (Comment.parent_id == comment.id))
    for live in await session.scalars(stmt):
        await _put(session, _comment_values(live, post.space_id))


async def unindex_purged(
    session: AsyncSession, *, post_ids: Sequence[int], comment_ids: Sequence[int]
) -> None:
    """Posts and comments removed for good: whatever documents of theirs remain."""
    await session.execute(delete(SearchDoc).where(SearchDoc.post_id.in_(post_ids)))
    await session.execute(
        delete(SearchDoc).where(SearchDoc.kind == "comment", SearchDoc.ref_id.in_(comment_ids))
    )


async def unindex_post(session: AsyncSession, post: Post) -> None:
    """A deleted post takes its comments out of search with it (they read as not found)."""
    await session.execute(delete(SearchDoc).where(SearchDoc.post_id == post.id))


async def unindex_comment(session: AsyncSession, comment: Comment) -> None:
    """A deleted top-level comment hides its replies too."""
    replies = select(Comment.id).where(Comment.parent_id == comment.id)
    await session.execute(
        delete(SearchDoc).where(
            SearchDoc.kind == "comment",
            (SearchDoc.ref_id == comment.id) | SearchDoc.ref_id.in_(replies),
        )
    )


# --- building everything again --------------------------------------------------------------


async def _copy(
    session: AsyncSession,
    what: str,
    query: Any,
    key: Any,
    values: Callable[[Any], dict[str, Any]],
    progress: Progress | None,
) -> int:
    """Read ``query`` in batches in ``key`` order (keyset pages) and insert a document per
    row."""
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    done, last = 0, 0
    if progress:
        progress(what, 0, total)
    while True:
        rows = (await session.execute(query.where(key > last).order_by(key).limit(BATCH))).all()
        if not rows:
            return done
        docs = await _readable(session, [values(row) for row in rows])
        await session.execute(insert(SearchDoc), docs)
        done += len(rows)
        last = docs[-1]["ref_id"]  # every document's ref_id is its source's key
        if progress:
            progress(what, done, total)


async def _people(session: AsyncSession, progress: Progress | None) -> int:
    skills: dict[int, list[str]] = {}
    for person_id, name in await session.execute(
        select(PersonSkill.person_id, PersonSkill.name).order_by(PersonSkill.name)
    ):
        skills.setdefault(person_id, []).append(name)
    return await _copy(
        session,
        "people",
        select(Person),
        Person.id,
        lambda row: _person_values(row[0], skills.get(row[0].id, ())),
        progress,
    )


async def reindex_people(session: AsyncSession, *, progress: Progress | None = None) -> int:
    """Write every person's document again (after a bulk change such as an org-chart
    import)."""
    await session.execute(delete(SearchDoc).where(SearchDoc.kind == "person"))
    return await _people(session, progress)


async def _content(session: AsyncSession, progress: Progress | None) -> int:
    """Live wiki pages, posts and comments (a comment under a deleted post or a deleted
    top-level comment is left out)."""
    done = await _copy(
        session,
        "wiki pages",
        select(WikiPage).where(WikiPage.deleted_at.is_(None)),
        WikiPage.id,
        lambda row: _wiki_values(row[0]),
        progress,
    )
    done += await _copy(
        session,
        "posts",
        select(Post.id, Post.space_id, Post.author_id, Post.body, Post.created_at).where(
            Post.deleted_at.is_(None)
        ),
        Post.id,
        lambda row: _post_values(row),
        progress,
    )
    # The parent by its key, not `parent_id IN (live comments)`: SQLite evaluated that list
    # of every live comment again for each batch (1.8 million comments: 450 a second).
    done += await _copy(
        session,
        "comments",
        conversation_policy.with_parent(
            select(
                Comment.id,
                Comment.post_id,
                Comment.author_id,
                Comment.body,
                Comment.created_at,
                Post.space_id,
            ).join(Post, Post.id == Comment.post_id)
        ).where(conversation_policy.live_comment(), Post.deleted_at.is_(None)),
        Comment.id,
        lambda row: _comment_values(row, row.space_id),
        progress,
    )
    return done


async def reindex(session: AsyncSession, *, progress: Progress | None = None) -> int:
    """Throw every document away and write them again from posts, comments, wiki pages,
    people and spaces (deleted content and deactivated people's documents are left out or
    hidden by the query as the live path does). Returns the number of documents. The caller
    commits."""
    await session.execute(delete(SearchDoc))
    done = await _copy(
        session, "spaces", select(Space), Space.id, lambda row: _space_values(row[0]), progress
    )
    done += await _people(session, progress)
    done += await _content(session, progress)
    if session.get_bind().dialect.name == "sqlite":
        # Merge the index's segments into one: fewer lookups per query.
        for table in ("search_fts", "search_name_fts"):
            await session.execute(text(f"INSERT INTO {table}({table}) VALUES ('optimize')"))  # noqa: S608
    else:
        # Plan with statistics of the table as it is now, not as before the bulk write (a
        # full-text query planned for an empty table scans instead of using the GIN index).
        await session.execute(text("ANALYZE search_doc"))
    return done
