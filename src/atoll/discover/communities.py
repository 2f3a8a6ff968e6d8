"""Communities for you: spaces to join where the people you work with are active (people
from other units above all) and whose topics match your skills."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.conversations import mentions
from atoll.conversations.models import Post
from atoll.discover.network import (
    NETWORK_DAYS,
    Colleague,
    colleagues_of,
    others,
    plural,
    since,
    skills_of,
)
from atoll.kit.time import utcnow
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.people.policy import can_see_org_chart
from atoll.search import query as search
from atoll.spaces import policy as space_policy
from atoll.spaces import service as spaces
from atoll.spaces.models import Membership, Space
from atoll.spaces.service import SpaceView

ACTIVE_KINDS = ("post", "comment", "reply")  # "active in a space": posted or commented there
ACROSS_WEIGHT, WITHIN_WEIGHT, SKILL_WEIGHT, TALK_WEIGHT = 3.0, 1.0, 2.0, 2.0
TALK_SKILLS, TALK_MIN = 2, 3  # skills looked up in the spaces' content; posts to count
SUGGESTABLE_KINDS = ("community", "hybrid", "public")  # unit spaces and rooms are not joined


@dataclass
class Suggestion:
    """A space suggested to a viewer, and why."""

    view: SpaceView
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def space(self) -> Space:
        return self.view.space

    @property
    def reason(self) -> str:
        return " · ".join(self.reasons)


def _not_member(viewer: Person) -> ColumnElement[bool]:
    return ~exists().where(Membership.space_id == Space.id, Membership.person_id == viewer.id)


def suggestable(viewer: Person) -> ColumnElement[bool]:
    """Spaces to suggest: ones the viewer may see and does not belong to, open for writing,
    never secret; members get communities, hybrid and public spaces (open or private), an
    external only public ones (they join the rest by invitation)."""
    now = utcnow()
    kinds = ("public",) if viewer.kind == "external" else SUGGESTABLE_KINDS
    return (
        space_policy.visible_spaces(viewer)
        & Space.kind.in_(kinds)
        & (Space.visibility != "secret")
        & Space.archived_at.is_(None)
        & or_(Space.closes_at.is_(None), Space.closes_at > now)
        & (_not_member(viewer))
    )


def _readable_suggestable(viewer: Person) -> Select[tuple[int]]:
    """Suggestable spaces whose content the viewer may read: only there may who is active, and
    how much, speak for a space (a private space's members are not for outsiders to know)."""
    return select(Space.id).where(suggestable(viewer), space_policy.readable_spaces(viewer))


@dataclass
class _Signal:
    colleagues: list[int] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    talk: dict[str, int] = field(default_factory=dict)  # skill → posts about it there
    week_posts: int = 0


async def _colleague_activity(
    session: AsyncSession, viewer: Person, colleagues: dict[int, Colleague]
) -> dict[int, list[int]]:
    """Space id → the colleagues who posted or commented there in the last 90 days."""
    if not colleagues:
        return {}
    i = Interaction
    rows = await session.execute(
        select(i.space_id, i.actor_id)
        .where(
            i.actor_id.in_(list(colleagues)),
            i.kind.in_(ACTIVE_KINDS),
            i.at >= since(NETWORK_DAYS),
            i.space_id.in_(_readable_suggestable(viewer)),
        )
        .distinct()
        .limit(10_000)
    )
    out: dict[int, list[int]] = {}
    for space_id, person_id in rows.tuples():
        if space_id is not None:
            out.setdefault(int(space_id), []).append(int(person_id))
    return out


def _mentions(text: str, key: str) -> bool:
    """A whole-word match: "go" is not in "good"."""
    return re.search(rf"(?<!\w){re.escape(key)}(?!\w)", text) is not None


async def _skill_matches(
    session: AsyncSession, viewer: Person, skills: list[tuple[str, str]]
) -> dict[int, list[str]]:
    """Space id → the viewer's skills its name or description speaks of."""
    if not skills:
        return {}
    name, about = func.lower(Space.name), func.lower(Space.description)
    any_skill = or_(
        *[
            or_(name.contains(k, autoescape=True), about.contains(k, autoescape=True))
            for _, k in skills
        ]
    )
    rows = await session.execute(
        select(Space.id, Space.name, Space.description)
        .where(suggestable(viewer), any_skill)
        .limit(200)
    )
    out: dict[int, list[str]] = {}
    for sid, space_name, description in rows.tuples():
        text = f"{space_name}\n{description}".lower()
        matched = [skill for skill, key in skills if _mentions(text, key)]
        if matched:
            out[int(sid)] = matched
    return out


async def _skill_talk(
    session: AsyncSession, viewer: Person, skills: list[tuple[str, str]]
) -> dict[int, dict[str, int]]:
    """Space id → {skill: posts, comments and wiki pages about it} for the viewer's first
    TALK_SKILLS skills, where the space talks about one at least TALK_MIN times (from the
    search index: only what the viewer may read, the newest matches)."""
    out: dict[int, dict[str, int]] = {}
    for skill, _ in skills[:TALK_SKILLS]:
        for sid, n in (await search.spaces_matching(session, viewer=viewer, text=skill)).items():
            if n >= TALK_MIN:
                out.setdefault(sid, {})[skill] = n
    if not out:
        return {}
    keep = set(await session.scalars(_readable_suggestable(viewer).where(Space.id.in_(list(out)))))
    return {sid: talk for sid, talk in out.items() if sid in keep}


async def _posts_since(
    session: AsyncSession, viewer: Person, start: datetime, *, ids: Sequence[int] | None, limit: int
) -> list[tuple[int, int]]:
    """(space id, posts since ``start``) for readable suggestable spaces, busiest first."""
    stmt = select(Post.space_id, func.count()).where(
        Post.created_at >= start,
        Post.deleted_at.is_(None),
        Post.space_id.in_(_readable_suggestable(viewer)),
    )
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(Post.space_id.in_(ids))
    rows = await session.execute(
        stmt.group_by(Post.space_id).order_by(func.count().desc(), Post.space_id).limit(limit)
    )
    return [(int(sid), int(n)) for sid, n in rows.tuples()]


async def _silo_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))
    return {uid: name for uid, name in rows.tuples()}


def _network_reason(
    people: list[int],
    colleagues: dict[int, Colleague],
    names: dict[int, str],
    silos: dict[int, str],
) -> str:
    """ "4 colleagues from Engineering are active here" when two or more people from other
    units are, else "Ana Silva and 2 others you work with post here"."""
    across = Counter(
        colleagues[p].silo_id for p in people if colleagues[p].across and colleagues[p].silo_id
    )
    n_across = sum(across.values())
    units = [silos[s] for s, _ in across.most_common() if s in silos]
    if n_across >= 2 and units:
        if len(units) == 1:
            where = units[0]
        elif len(units) == 2:
            where = f"{units[0]} and {units[1]}"
        else:
            where = f"{units[0]}, {units[1]} and {plural(len(units) - 2, 'other unit')}"
        return f"{n_across} colleagues from {where} are active here"
    ranked = sorted(people, key=lambda p: (not colleagues[p].across, names.get(p, "")))
    return others(
        [names.get(p, "Someone") for p in ranked],
        len(people),
        "you work with post here",
        one="who you work with, posts here",
    )


async def communities_for(
    session: AsyncSession, *, viewer: Person, limit: int = 6
) -> list[Suggestion]:
    """Spaces to join, best first, each with its reasons: where the people the viewer works
    with are active (people from other units count three times), whose name or description
    speaks of the viewer's skills, and a little for how busy they are this week. With no such
    signal (a newcomer) or to fill the list: the busiest spaces of the month to join."""
    colleagues = await colleagues_of(session, viewer=viewer)
    signals: dict[int, _Signal] = {}
    for sid, people in (await _colleague_activity(session, viewer, colleagues)).items():
        signals.setdefault(sid, _Signal()).colleagues = people
    skills = await skills_of(session, viewer)
    for sid, matched in (await _skill_matches(session, viewer, skills)).items():
        signals.setdefault(sid, _Signal()).skills = matched
    for sid, talk in (await _skill_talk(session, viewer, skills)).items():
        signals.setdefault(sid, _Signal()).talk = talk
    week = since(7)
    for sid, n in await _posts_since(
        session, viewer, week, ids=list(signals), limit=len(signals) or 1
    ):
        signals[sid].week_posts = n

    def score(s: _Signal) -> float:
        network = sum(
            ACROSS_WEIGHT if colleagues[p].across else WITHIN_WEIGHT for p in s.colleagues
        )
        talk = TALK_WEIGHT * sum(min(n, 20) / 20 for n in s.talk.values())
        return network + SKILL_WEIGHT * min(len(s.skills), 3) + talk + min(s.week_posts, 20) / 20

    ranked = sorted(signals.items(), key=lambda kv: (-score(kv[1]), kv[0]))[:limit]
    chosen: dict[int, tuple[list[str], float]] = {}
    ids = {p for _, s in ranked for p in s.colleagues}
    names = await mentions.names_of(session, viewer=viewer, ids=ids)
    silos = (  # a guest is told names, never units
        await _silo_names(
            session,
            {c.silo_id for _, s in ranked for p in s.colleagues if (c := colleagues[p]).silo_id},
        )
        if can_see_org_chart(viewer)
        else {}
    )
    for sid, s in ranked:
        reasons = []
        if s.colleagues:
            reasons.append(_network_reason(s.colleagues, colleagues, names, silos))
        if s.skills:
            reasons.append("Matches your skills: " + ", ".join(s.skills[:3]))
        talked = [k for k in s.talk if k not in s.skills]
        if talked:
            about = " and ".join(f"{k} ({plural(s.talk[k], 'post')})" for k in talked)
            reasons.append(f"Talks about {about}, from your skills")
        if s.week_posts:
            reasons.append(f"Active this week: {plural(s.week_posts, 'post')}")
        chosen[sid] = (reasons, score(s))
    if len(chosen) < limit:
        for sid, n in await _posts_since(session, viewer, since(30), ids=None, limit=limit * 2):
            if sid not in chosen and len(chosen) < limit:
                chosen[sid] = (["Popular this month", f"{plural(n, 'post')} in 30 days"], 0.0)
    return await _suggestions(session, viewer, chosen)


async def _suggestions(
    session: AsyncSession, viewer: Person, chosen: dict[int, tuple[list[str], float]]
) -> list[Suggestion]:
    if not chosen:
        return []
    loaded = {
        s.id: s
        for s in (
            await session.execute(
                select(Space).where(Space.id.in_(list(chosen)), suggestable(viewer))
            )
        ).scalars()
    }
    order = [loaded[sid] for sid in chosen if sid in loaded]
    views = await spaces.views_of(session, viewer, order)
    return [
        Suggestion(view=v, reasons=chosen[v.space.id][0], score=chosen[v.space.id][1])
        for v in views
    ]
