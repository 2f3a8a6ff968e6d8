"""What to do next, from the data: the analytics page's recommendations.

Six kinds, in this order, each with a link:

- ``island``: units (at the silo level) with no tie to another unit in the range — start a
  community that spans them, naming the spaces where most of their people already meet;
- ``inward``: units whose E-I index is below what random mixing would give for their size
  (the three furthest below) — bring them into a community with other units;
- ``external_questions``: questions asked by customers, partners or public guests that nobody
  else has commented on for a day or more — answer them;
- ``falling_community``: communities whose activity in the last four weeks of the range fell
  to 60 % or less of the four weeks before (with at least 10 acts by 5 people or more then)
  — ask their owners what would help;
- ``ready_outward``: units ready to go outward (analytics/readiness.py, on the range's last
  day) with no hybrid space yet (the three first) — open one with the customers and
  partners their people already talk about;
- ``not_ready``: units not ready to go outward — see what would help.

The units come from the network answer (``network.network``, already under the privacy
floor: only units of 5 people or more are in it). A space is named only when the viewer may
read it (``spaces.policy.readable_spaces``), and never an archived one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.analytics.models import Interaction
from atoll.analytics.network import network as network_of
from atoll.analytics.periods import local_day
from atoll.analytics.policy import may_show
from atoll.analytics.readiness import readiness as readiness_of
from atoll.conversations.models import Comment, Post
from atoll.kit.errors import NotFound
from atoll.kit.settings import Settings
from atoll.kit.time import as_utc, utcnow
from atoll.people.models import Person
from atoll.spaces.models import Space
from atoll.spaces.policy import readable_spaces

MEETING_PLACES = 3  # spaces named for islands
INWARD = 3  # units named as more inward than chance
WAITING = timedelta(days=1)  # a question unanswered this long is waiting
WINDOW = timedelta(days=28)
FALL = 0.6  # activity at or below this share of the window before is falling
FALL_BASE = 10  # acts in the window before, at least
FALLING = 3  # communities named
OUTWARD = 3  # units named as ready to go outward, or not ready


def _names(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "\u2212")


async def _meeting_places(
    session: AsyncSession, viewer: Person, units: list[int], start: datetime, end: datetime
) -> list[Space]:
    """The readable spaces where people of these units acted most in the range: those that
    bring the most of the units together first, then the most people."""
    i = Interaction
    rows = await session.execute(
        select(
            i.space_id,
            func.count(func.distinct(i.actor_silo_id)).label("units"),
            func.count(func.distinct(i.actor_id)).label("people"),
        )
        .join(Space, Space.id == i.space_id)
        .where(
            i.at >= start,
            i.at < end,
            i.actor_silo_id.in_(units),
            Space.archived_at.is_(None),
            Space.kind != "unit",
            readable_spaces(viewer),
        )
        .group_by(i.space_id)
        .order_by(
            func.count(func.distinct(i.actor_silo_id)).desc(),
            func.count(func.distinct(i.actor_id)).desc(),
            i.space_id,
        )
        .limit(MEETING_PLACES)
    )
    ids = [space_id for space_id, _, _ in rows]
    spaces = {s.id: s for s in await session.scalars(select(Space).where(Space.id.in_(ids)))}
    return [spaces[space_id] for space_id in ids if space_id in spaces]


async def _islands(
    session: AsyncSession,
    viewer: Person,
    units: list[dict[str, Any]],
    start: datetime,
    end: datetime,
) -> list[dict[str, Any]]:
    islands = [u for u in units if u.get("island")]
    if not islands:
        return []
    ids = [int(u["id"]) for u in islands]
    names = _names([u["name"] or f"Unit {u['id']}" for u in islands])
    verb = "has" if len(islands) == 1 else "have"
    text = f"{names} {verb} no tie with another unit in this period. Start a community that spans"
    text += " it" if len(islands) == 1 else " them"
    places = await _meeting_places(session, viewer, ids, start, end)
    if places:
        text += f": their people already meet in {_names([s.name for s in places])}."
    else:
        text += "."
    return [
        {
            "kind": "island",
            "text": text,
            "unit_ids": [str(u) for u in ids],
            "space_ids": [str(s.id) for s in places],
            "href": "/spaces/new",
        }
    ]


def _inward(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    below = [
        u
        for u in units
        if not u.get("island")
        and u.get("ei") is not None
        and u.get("ei_expected") is not None
        and u["ei"] < u["ei_expected"]
    ]
    below.sort(key=lambda u: (u["ei"] - u["ei_expected"], u["id"]))
    named = below[:INWARD]
    if not named:
        return []
    parts = [
        f"{u['name'] or 'Unit ' + u['id']} (E-I {_signed(u['ei'])} against "
        f"{_signed(u['ei_expected'])})"
        for u in named
    ]
    more = f" — and {len(below) - len(named)} more" if len(below) > len(named) else ""
    return [
        {
            "kind": "inward",
            "text": f"{_names(parts)}{more} work more inside themselves than random mixing "
            "would make them. Bring them into a community or a situation room with other units.",
            "unit_ids": [u["id"] for u in named],
            "space_ids": [],
            "href": f"/analytics?unit_id={named[0]['id']}",
        }
    ]


async def _external_questions(
    session: AsyncSession, viewer: Person, now: datetime
) -> list[dict[str, Any]]:
    """Questions by externals that nobody else has commented on for a day or more, in the
    spaces the viewer reads."""
    answered = exists().where(
        Comment.post_id == Post.id,
        Comment.author_id != Post.author_id,
        Comment.deleted_at.is_(None),
        Comment.hidden_at.is_(None),
    )
    rows = list(
        await session.execute(
            select(Space.id, Space.name, func.count(Post.id), func.min(Post.id))
            .join(Post, Post.space_id == Space.id)
            .join(Person, Person.id == Post.author_id)
            .where(
                Post.kind == "question",
                Person.kind == "external",
                Post.deleted_at.is_(None),
                Post.hidden_at.is_(None),
                Post.created_at <= now - WAITING,
                ~answered,
                Space.archived_at.is_(None),
                readable_spaces(viewer),
            )
            .group_by(Space.id, Space.name)
            .order_by(func.count(Post.id).desc(), Space.id)
        )
    )
    if not rows:
        return []
    total = sum(n for _, _, n, _ in rows)
    where = _names([f"{n} in {name}" for _, name, n, _ in rows[:3]])
    if len(rows) > 3:
        where += f" and {total - sum(n for _, _, n, _ in rows[:3])} elsewhere"
    noun = "question" if total == 1 else "questions"
    verb = "is" if total == 1 else "are"
    first_post = rows[0][3]
    return [
        {
            "kind": "external_questions",
            "text": f"{total} {noun} from customers, partners or guests {verb} waiting for an "
            f"answer: {where}.",
            "unit_ids": [],
            "space_ids": [str(space_id) for space_id, _, _, _ in rows],
            "href": f"/posts/{first_post}",
        }
    ]


async def _falling(session: AsyncSession, viewer: Person, end: datetime) -> list[dict[str, Any]]:
    """Communities whose acts in the last four weeks fell to ``FALL`` of the four before."""
    i = Interaction
    recent, earlier = end - WINDOW, end - 2 * WINDOW
    in_recent = and_(i.at >= recent, i.at < end)
    rows = await session.execute(
        select(
            Space.id,
            Space.name,
            Space.slug,
            func.count().filter(i.at < recent).label("before"),
            func.count().filter(in_recent).label("after"),
            func.count(func.distinct(i.actor_id)).filter(i.at < recent).label("people"),
        )
        .join(i, i.space_id == Space.id)
        .where(
            i.at >= earlier,
            i.at < end,
            Space.kind == "community",
            Space.archived_at.is_(None),
            readable_spaces(viewer),
        )
        .group_by(Space.id, Space.name, Space.slug)
    )
    falling = [
        (space_id, name, slug, before, after)
        for space_id, name, slug, before, after, people in rows
        if before >= FALL_BASE and may_show(people) and after <= FALL * before
    ]
    falling.sort(key=lambda row: (row[4] / row[3], row[0]))
    return [
        {
            "kind": "falling_community",
            "text": f"Activity in {name} fell from {before} to {after} acts in the last four "
            "weeks. Ask its owners what would help, or bring it a question only it can answer.",
            "unit_ids": [],
            "space_ids": [str(space_id)],
            "href": f"/spaces/{slug}",
        }
        for space_id, name, slug, before, after in falling[:FALLING]
    ]


def _space_name(unit: dict[str, Any]) -> str:
    """A name to start from for a ready unit's first hybrid space."""
    talked = unit["organizations"][:1]
    return (
        f"{unit['unit_name']} with {talked[0]}" if talked else f"{unit['unit_name']} with customers"
    )


def _outward(ready: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Ready units without a hybrid space, one recommendation each; then one for the units
    not ready."""
    if not ready:
        return []
    units = [u for u in ready["units"] if not u["suppressed"]]
    out = []
    for u in [u for u in units if u["ready"] and not u["has_hybrid_space"]][:OUTWARD]:
        talked = _names(u["organizations"][:3])
        whom = f" with {talked}, whom its people already talk about" if talked else ""
        out.append(
            {
                "kind": "ready_outward",
                "text": f"{u['unit_name']} is ready to go outward and has no hybrid space yet: "
                f"open one{whom}.",
                "unit_ids": [u["unit_id"]],
                "space_ids": [],
                "href": "/spaces/new?" + urlencode({"kind": "hybrid", "name": _space_name(u)}),
            }
        )
    waiting = [u for u in units if u["ready"] is False]
    if waiting:
        names = _names([u["unit_name"] for u in waiting[:OUTWARD]])
        more = f" and {len(waiting) - OUTWARD} more" if len(waiting) > OUTWARD else ""
        verb = "is" if len(waiting) == 1 else "are"
        out.append(
            {
                "kind": "not_ready",
                "text": f"{names}{more} {verb} not ready to go outward yet: a community that "
                "spans them and a question-and-answer habit would help.",
                "unit_ids": [u["unit_id"] for u in waiting],
                "space_ids": [],
                "href": f"/analytics?to={ready['as_of']}#readiness",
            }
        )
    return out


async def recommendations(
    session: AsyncSession,
    *,
    viewer: Person,
    start: datetime,
    end: datetime,
    network: dict[str, Any],
    now: datetime | None = None,
    ready: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """What to do next over [start, end), for this viewer (see the module). ``network`` is the
    network answer over the same range at the silo level; ``ready`` the readiness answer on
    the range's last day."""
    moment = now or utcnow()
    stop = min(as_utc(end), moment)
    units = network.get("units", [])
    out = await _islands(session, viewer, units, start, end)
    out += _inward(units)
    out += await _external_questions(session, viewer, moment)
    if stop > as_utc(start):
        out += await _falling(session, viewer, stop)
    out += _outward(ready)
    return out


async def recommendations_for(
    session: AsyncSession,
    *,
    viewer: Person,
    start: datetime,
    end: datetime,
    unit_id: int | None,
    settings: Settings,
    network: dict[str, Any] | None = None,
    ready: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The recommendations of a view of the analytics: ``network`` is the network over the
    same range and unit at the silo level if the caller has it already (it is kept once
    computed, so asking for it again costs a read); ``ready`` readiness on the range's last
    day, likewise."""
    if network is None:
        network = await network_of(
            session,
            start=start,
            end=end,
            level=settings.silo_level,
            settings=settings,
            show_names=False,
            unit_id=unit_id,
        )
    if ready is None:
        last_day = local_day(as_utc(end) - timedelta(microseconds=1), settings.zone)
        try:
            ready = await readiness_of(session, settings=settings, as_of=last_day, unit_id=unit_id)
        except NotFound:  # a unit that does not exist has no units to tell about
            ready = None
    return await recommendations(
        session, viewer=viewer, start=start, end=end, network=network, ready=ready
    )
