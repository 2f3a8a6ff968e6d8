"""What a report is about: a post, a comment, a wiki page or a person — loaded for someone
who reports it (as they may read it: 404 otherwise, exactly as reading it would answer) or
who acts on it, and described for the moderation queue (an excerpt, its author, its space,
a link), many at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import service as conversations
from atoll.conversations.models import Comment, Post
from atoll.kit.errors import denied
from atoll.kit.ids import parse_id
from atoll.kit.markdown import headline
from atoll.people.models import Person
from atoll.people.policy import is_platform_moderator
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces
from atoll.spaces.models import Space
from atoll.spaces.policy import MANAGERS, SpaceAccess
from atoll.wiki.models import WikiPage
from atoll.wiki.service import WikiSpace

EXCERPT = 160


@dataclass
class Target:
    """A target as one person may use it: the thing, its space (None for a person) as they
    may use it, and its author (the person reported, for a person)."""

    type: str
    id: int
    author_id: int | None
    access: SpaceAccess | None = None
    post: Post | None = None
    comment: Comment | None = None
    page: WikiPage | None = None
    person: Person | None = None

    @property
    def space_id(self) -> int | None:
        return self.access.space.id if self.access is not None else None


async def load(
    session: AsyncSession, *, viewer: Person, target_type: str, target_id: int | str
) -> Target:
    """The target as ``viewer`` may read it; NotFound (as reading it answers) otherwise."""
    if target_type == "post":
        post, access = await conversations.access_post(session, viewer=viewer, post_id=target_id)
        return Target("post", post.id, post.author_id, access, post=post)
    if target_type == "comment":
        comment, post, access = await conversations.access_comment(
            session, viewer=viewer, comment_id=target_id
        )
        return Target("comment", comment.id, comment.author_id, access, post=post, comment=comment)
    if target_type == "wiki_page":
        return await _wiki_page(session, viewer=viewer, page_id=target_id)
    return await _person(session, viewer=viewer, person_id=target_id)


async def _wiki_page(session: AsyncSession, *, viewer: Person, page_id: int | str) -> Target:
    number = parse_id(page_id)
    page = await session.get(WikiPage, number) if number is not None else None
    if page is None or page.deleted_at is not None:
        raise denied("wiki page", signed_in=True, may_know=False)
    access = await spaces.access_space(session, viewer=viewer, space_id=page.space_id)
    if not access.can_read:
        raise denied("wiki page", signed_in=True, may_know=False)
    return Target("wiki_page", page.id, page.created_by_id, access, page=page)


async def _person(session: AsyncSession, *, viewer: Person, person_id: int | str) -> Target:
    number = parse_id(person_id)
    person = None
    if number is not None:
        person = await session.scalar(
            select(Person).where(Person.id == number, space_policy.visible_people(viewer))
        )
    if person is None:
        raise denied("person", signed_in=True, may_know=False)
    return Target("person", person.id, person.id, person=person)


def acting(access: SpaceAccess) -> SpaceAccess:
    """The space as a moderator acts in it: a platform moderator who reads it acts as its
    moderators do (they moderate content they can read, in every space)."""
    if access.can_manage or not is_platform_moderator(access.viewer):
        return access
    role = access.role if access.role in MANAGERS else "moderator"
    return replace(access, role=role, can_manage=True)


def wiki_of(access: SpaceAccess) -> WikiSpace:
    """The wiki as a moderator acts on it (the wiki's own delete checks who may edit it)."""
    return WikiSpace(access=acting(access), can_edit=True)


# --- the queue's view of targets ------------------------------------------------------------


@dataclass
class Shown:
    """A target as the queue shows it to someone who handles it."""

    type: str
    id: int
    excerpt: str = ""
    url: str = ""
    state: str = "gone"  # visible | hidden | deleted | gone
    author: Person | None = None
    space: Space | None = None


async def describe(
    session: AsyncSession, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Shown]:
    """The targets ``keys`` ((type, id)) as the queue shows them, a query per type."""
    wanted: defaultdict[str, set[int]] = defaultdict(set)
    for type_, id_ in keys:
        wanted[type_].add(id_)
    shown = {(t, i): Shown(t, i) for t, ids in wanted.items() for i in ids}
    if wanted["post"]:
        rows = await session.execute(
            select(Post, Person, Space)
            .join(Person, Person.id == Post.author_id)
            .join(Space, Space.id == Post.space_id)
            .where(Post.id.in_(wanted["post"]))
        )
        for post, author, space in rows.tuples():
            state = _state(post.deleted_at, post.hidden_at)
            shown["post", post.id] = Shown(
                "post",
                post.id,
                headline(post.body, EXCERPT),
                f"/posts/{post.id}",
                state,
                author,
                space,
            )
    if wanted["comment"]:
        rows2 = await session.execute(
            select(Comment, Post, Person, Space)
            .join(Post, Post.id == Comment.post_id)
            .join(Person, Person.id == Comment.author_id)
            .join(Space, Space.id == Post.space_id)
            .where(Comment.id.in_(wanted["comment"]))
        )
        for comment, post, author, space in rows2.tuples():
            state = _state(comment.deleted_at or post.deleted_at, comment.hidden_at)
            url = f"/posts/{post.id}#comment-{comment.id}"
            excerpt = headline(comment.body, EXCERPT)
            shown["comment", comment.id] = Shown(
                "comment", comment.id, excerpt, url, state, author, space
            )
    await _describe_pages(session, wanted["wiki_page"], shown)
    await _describe_people(session, wanted["person"], shown)
    return shown


async def _describe_pages(
    session: AsyncSession, ids: set[int], shown: dict[tuple[str, int], Shown]
) -> None:
    if not ids:
        return
    rows = await session.execute(
        select(WikiPage, Space, Person)
        .join(Space, Space.id == WikiPage.space_id)
        .outerjoin(Person, Person.id == WikiPage.created_by_id)
        .where(WikiPage.id.in_(ids))
        .options()
    )
    for page, space, author in rows.tuples():
        url = f"/spaces/{space.slug}/wiki/{page.slug}"
        state = _state(page.deleted_at, None)
        shown["wiki_page", page.id] = Shown(
            "wiki_page", page.id, page.title, url, state, author, space
        )


async def _describe_people(
    session: AsyncSession, ids: set[int], shown: dict[tuple[str, int], Shown]
) -> None:
    if not ids:
        return
    for person in await session.scalars(select(Person).where(Person.id.in_(ids))):
        excerpt = person.name + (f" — {person.title}" if person.title else "")
        state = "visible" if person.is_active else "gone"
        shown["person", person.id] = Shown(
            "person", person.id, excerpt, f"/people/{person.id}", state, person, None
        )


def _state(deleted_at: object, hidden_at: object) -> str:
    if deleted_at is not None:
        return "deleted"
    return "hidden" if hidden_at is not None else "visible"
