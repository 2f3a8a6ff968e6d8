"""The demo's rows are what the services would have written: counters match their rows, a
wiki page is its latest revision, and every interaction row is the one record_interaction
would have logged — the right cell, the right tie, each side as it was then."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics import service as analytics
from atoll.analytics.models import ACTIVITY, APART_SCOPES, GRID_SCOPES, Interaction
from atoll.conversations.mentions import mentioned_ids
from atoll.conversations.models import Comment, IdeaVote, Mention, Post, Reaction
from atoll.demo.generator import do_create_demo
from atoll.kit.markdown import render_markdown
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.spaces.models import Membership, Space
from atoll.wiki.models import WikiPage, WikiRevision
from tests.factories import HASHING

END = date(2026, 5, 31)
START = datetime(2025, 12, 1, tzinfo=UTC)
STOP = datetime(2026, 6, 1, tzinfo=UTC)


async def _demo(db: AsyncSession) -> None:
    result = await do_create_demo(db, hashing=HASHING, people=150, months=6, seed=3, end=END)
    await db.commit()
    assert result.created


async def test_post_counters_match_their_rows(db: AsyncSession) -> None:
    await _demo(db)
    posts = (await db.execute(select(Post))).scalars().all()
    comments = Counter((await db.execute(select(Comment.post_id))).scalars())
    votes = Counter((await db.execute(select(IdeaVote.post_id))).scalars())
    last_comment = dict(
        (
            await db.execute(
                select(Comment.post_id, func.max(Comment.created_at)).group_by(Comment.post_id)
            )
        )
        .tuples()
        .all()
    )
    comment_post = dict((await db.execute(select(Comment.id, Comment.post_id))).tuples().all())
    assert {p.kind for p in posts} == {"update", "question", "idea", "announcement"}
    for post in posts:
        assert post.comment_count == comments[post.id], post.id
        assert post.vote_count == votes[post.id], post.id
        assert post.last_activity_at == max(
            post.created_at, last_comment.get(post.id, post.created_at)
        )
        assert START <= post.created_at < STOP
        if post.accepted_comment_id is not None:
            assert post.kind == "question" and comment_post[post.accepted_comment_id] == post.id
        assert (post.idea_status is not None) == (post.kind == "idea")
    assert sum(votes.values()) > 0 and any(p.accepted_comment_id for p in posts)
    replies = (
        (await db.execute(select(Comment).where(Comment.parent_id.is_not(None)))).scalars().all()
    )
    parents = {c.id: c for c in (await db.execute(select(Comment))).scalars()}
    assert replies
    for reply in replies:
        parent = parents[reply.parent_id or 0]
        assert parent.parent_id is None and parent.post_id == reply.post_id
        assert parent.created_at <= reply.created_at
    assert await db.scalar(select(func.count()).select_from(Reaction))


async def test_mentions_are_in_the_bodies_and_link_the_person(db: AsyncSession) -> None:
    await _demo(db)
    mentions = (await db.execute(select(Mention))).scalars().all()
    assert mentions
    posts = {p.id: p for p in (await db.execute(select(Post))).scalars()}
    comments = {c.id: c for c in (await db.execute(select(Comment))).scalars()}
    for mention in mentions:
        item = comments[mention.comment_id] if mention.comment_id else posts[mention.post_id]
        assert mentioned_ids(item.body) == {mention.person_id}
        assert f'href="/people/{mention.person_id}"' in item.html


async def test_a_wiki_page_is_its_latest_revision(db: AsyncSession) -> None:
    await _demo(db)
    pages = (await db.execute(select(WikiPage))).scalars().all()
    revisions: dict[int, list[WikiRevision]] = defaultdict(list)
    for revision in (
        await db.execute(select(WikiRevision).order_by(WikiRevision.number))
    ).scalars():
        revisions[revision.page_id].append(revision)
    assert pages and any(page.revision >= 3 for page in pages)
    for page in pages:
        history = revisions[page.id]
        latest = history[-1]
        assert [r.number for r in history] == list(range(1, page.revision + 1))
        assert (page.title, page.body) == (latest.title, latest.body)
        assert (page.updated_by_id, page.updated_at) == (latest.author_id, latest.created_at)
        assert (page.created_by_id, page.created_at) == (
            history[0].author_id,
            history[0].created_at,
        )
        assert page.html == render_markdown(page.body)
        assert all(a.created_at < b.created_at for a, b in zip(history, history[1:], strict=False))


async def test_every_interaction_is_the_row_record_interaction_would_write(
    db: AsyncSession,
) -> None:
    await _demo(db)
    units = {u.id: u for u in (await db.execute(select(Unit))).scalars()}
    by_path = {u.path: u.id for u in units.values()}

    def silo(unit_id: int | None) -> int | None:
        """At the silo level 2: the department; none above it (the company, a division)."""
        if unit_id is None or units[unit_id].level < 2:
            return None
        path = analytics.silo_path(units[unit_id], 2)
        return unit_id if path is None else by_path[path]

    people = {p.id: p for p in (await db.execute(select(Person))).scalars()}
    spaces = {s.id: s for s in (await db.execute(select(Space))).scalars()}
    members = set((await db.execute(select(Membership.space_id, Membership.person_id))).tuples())
    rows = (await db.execute(select(Interaction).order_by(Interaction.id))).scalars().all()
    assert {r.kind for r in rows} == {
        "post",
        "comment",
        "reply",
        "reaction",
        "mention",
        "accept",
        "vote",
        "wiki_edit",
    }
    assert [r.at for r in rows] == sorted(r.at for r in rows)  # logged in time order
    units_of: dict[int, set[int | None]] = defaultdict(set)
    for row in rows:
        actor, space = people[row.actor_id], spaces[row.space_id or 0]
        target = people[row.target_id] if row.target_id is not None else None
        assert START <= row.at < STOP
        assert space.created_at < row.at and (space.closes_at is None or row.at < space.closes_at)
        assert row.actor_id != row.target_id
        assert row.actor_kind == actor.kind and row.actor_organization == (
            actor.organization if actor.kind == "external" else None
        )
        assert row.actor_silo_id == silo(row.actor_unit_id)
        if target is not None:
            assert row.target_kind == target.kind and row.target_silo_id == silo(row.target_unit_id)
        if actor.kind == "external":
            assert row.actor_unit_id is None and space.kind in ("hybrid", "public")
        else:
            units_of[actor.id].add(row.actor_unit_id)
        if space.kind not in ("unit", "public") and row.kind in ("post", "wiki_edit"):
            assert (space.id, actor.id) in members
        me = analytics.Side(
            row.actor_unit_id, row.actor_silo_id, row.actor_kind, row.actor_organization
        )
        them = (
            analytics.Side(
                row.target_unit_id,
                row.target_silo_id,
                row.target_kind or "",
                row.target_organization,
            )
            if target is not None
            else None
        )
        assert row.scope == analytics.scope_of(me, them)
        assert row.tie_key == analytics.tie_key_of(row.actor_id, row.target_id, row.space_id)
    # The roll-up helpers: the previous row on the same tie in the same cell, and on a row
    # of the grid each person's previous row of the grid, in the order of the log.
    cell_last: dict[tuple[str, str, bool], datetime] = {}
    seen: dict[int, datetime] = {}
    for row in sorted(rows, key=lambda r: (r.at, r.id)):
        assert row.cell_prev_at == cell_last.get((row.tie_key, row.scope, row.new_tie))
        cell_last[(row.tie_key, row.scope, row.new_tie)] = row.at
        if row.scope not in GRID_SCOPES:
            assert (row.actor_prev_at, row.target_prev_at) == (None, None)
            continue
        assert row.actor_prev_at == seen.get(row.actor_id)
        assert row.target_id is not None and row.target_prev_at == seen.get(row.target_id)
        seen[row.actor_id] = seen[row.target_id] = row.at
    # A few people moved to another department: their later interactions carry the new unit.
    moved = [pid for pid, seen in units_of.items() if len(seen) > 1]
    assert moved
    for pid in moved:
        assert people[pid].unit_id in units_of[pid]
    assert {r.scope for r in rows} == {*GRID_SCOPES, *APART_SCOPES, ACTIVITY}
