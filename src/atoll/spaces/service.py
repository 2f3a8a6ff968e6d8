"""Space use cases: create, find, list, change, archive, close situation rooms. Who belongs to
a space (join, leave, add, requests, audience, unit spaces in step) is ``members``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound, denied
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_name_id_cursor, encode_cursor
from atoll.kit.text import clean_name
from atoll.kit.time import as_utc, utcnow
from atoll.org.models import Unit
from atoll.people.models import Person
from atoll.people.policy import is_admin
from atoll.spaces import events, guidelines, policy, practice, trail
from atoll.spaces.members import (
    do_add_member,
    do_sync_unit_memberships,
    member_counts,
    role_in,
)
from atoll.spaces.models import KINDS, VISIBILITIES, JoinRequest, Membership, Space
from atoll.spaces.policy import SpaceAccess

MAX_SITUATION_DAYS = 90
SITUATION_MAX_PEOPLE = 50


@dataclass
class SpaceView:
    """A space as one viewer sees it: their role and the member count."""

    space: Space
    my_role: str | None
    member_count: int
    pending_request: bool = False


def slugify(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:80] or "space"


async def _unique_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name)
    taken = set(
        (await session.execute(select(Space.slug).where(Space.slug.like(f"{base}%")))).scalars()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


unique_slug = _unique_slug  # for the unit spaces that follow the tree (``unit_spaces``)


def _space_id(space_id: int | str) -> int:
    sid = parse_id(space_id)
    if sid is None:
        raise NotFound("No such space.")
    return sid


async def access_space(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> SpaceAccess:
    """Load a space the viewer may know exists, as they may use it: 404 if they may not know
    it (401 if they must sign in first, whether or not it exists)."""
    row = (
        await session.execute(
            select(Space).where(Space.id == _space_id(space_id), policy.visible_spaces(viewer))
        )
    ).scalar_one_or_none()
    if row is None:
        raise denied("space", signed_in=viewer is not None, may_know=False)
    return policy.space_access(viewer, row, await role_in(session, space_id=row.id, person=viewer))


async def access_readable_space(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> SpaceAccess:
    """Load a space whose content the viewer may read: 404 if they may not know it, 403 if it
    is private to them, 401 if they must sign in first."""
    access = await access_space(session, viewer=viewer, space_id=space_id)
    if not access.can_read:
        raise denied(
            "space",
            signed_in=viewer is not None,
            may_know=True,
            detail="Only members can see what is inside this space. Ask to join.",
        )
    return access


async def access_space_by_slug(
    session: AsyncSession, *, viewer: Person | None, slug: str
) -> SpaceAccess:
    """``access_space`` for a space named by its slug (the pages' URLs)."""
    space_id = None
    if "\x00" not in slug:  # PostgreSQL refuses NUL in text; no slug has one
        space_id = await session.scalar(
            select(Space.id).where(Space.slug == slug[:220], policy.visible_spaces(viewer))
        )
    if space_id is None:
        raise denied("space", signed_in=viewer is not None, may_know=False)
    return await access_space(session, viewer=viewer, space_id=space_id)


async def roles_of(
    session: AsyncSession, person: Person | None, space_ids: Sequence[int]
) -> dict[int, str]:
    if person is None or not space_ids:
        return {}
    rows = await session.execute(
        select(Membership.space_id, Membership.role).where(
            Membership.person_id == person.id, Membership.space_id.in_(space_ids)
        )
    )
    return {sid: role for sid, role in rows.tuples().all()}


async def views_of(
    session: AsyncSession, viewer: Person | None, spaces: Sequence[Space]
) -> list[SpaceView]:
    """Role, member count and pending request for many spaces in three queries."""
    ids = [s.id for s in spaces]
    counts = await member_counts(session, ids)
    roles = await roles_of(session, viewer, ids)
    pending: set[int] = set()
    if viewer is not None and ids:
        pending = set(
            (
                await session.execute(
                    select(JoinRequest.space_id).where(
                        JoinRequest.person_id == viewer.id,
                        JoinRequest.status == "pending",
                        JoinRequest.space_id.in_(ids),
                    )
                )
            ).scalars()
        )
    return [SpaceView(s, roles.get(s.id), counts.get(s.id, 0), s.id in pending) for s in spaces]


async def spaces_page(
    session: AsyncSession,
    *,
    viewer: Person | None,
    kind: str | None = None,
    q: str = "",
    mine: bool = False,
    include_archived: bool = False,
    archived_only: bool = False,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[SpaceView], str | None]:
    """The directory: spaces the viewer may see, by name, optionally of one kind or only theirs;
    live ones, or with the archived ones too (``include_archived``), or only those
    (``archived_only``)."""
    limit = clamp_limit(limit)
    stmt = select(Space).where(policy.visible_spaces(viewer))
    if kind:
        if kind not in KINDS:
            raise Invalid.field("kind", f"must be one of {', '.join(KINDS)}")
        stmt = stmt.where(Space.kind == kind)
    if q.strip():
        pattern = (
            "%"
            + q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        stmt = stmt.where(
            or_(
                func.lower(Space.name).like(pattern, escape="\\"),
                func.lower(Space.description).like(pattern, escape="\\"),
            )
        )
    if mine:
        if viewer is None:
            return [], None
        stmt = stmt.where(
            Space.id.in_(select(Membership.space_id).where(Membership.person_id == viewer.id))
        )
    if archived_only:
        stmt = stmt.where(Space.archived_at.is_not(None))
    elif not include_archived:
        stmt = stmt.where(Space.archived_at.is_(None))
    after = decode_name_id_cursor(cursor)
    if after is not None:
        name, sid = after
        stmt = stmt.where(or_(Space.name > name, and_(Space.name == name, Space.id > sid)))
    rows = list(
        (await session.execute(stmt.order_by(Space.name, Space.id).limit(limit + 1))).scalars()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].name, rows[-1].id])
    return await views_of(session, viewer, rows), next_cursor


async def my_spaces(session: AsyncSession, *, viewer: Person) -> list[Space]:
    """Every space the person belongs to (for the navigation), by kind then name."""
    rows = await session.execute(
        select(Space)
        .join(Membership, Membership.space_id == Space.id)
        .where(Membership.person_id == viewer.id, Space.archived_at.is_(None))
        .where(Space.kind != "practice")  # reached from its own link, never listed
        .order_by(Space.kind, Space.name)
        .limit(500)
    )
    return list(rows.scalars())


def check_kind_and_visibility(kind: str, visibility: str) -> tuple[str, str]:
    if kind not in KINDS:
        raise Invalid.field("kind", f"must be one of {', '.join(KINDS)}")
    if visibility not in VISIBILITIES:
        raise Invalid.field("visibility", "must be open, private or secret")
    if kind == "public" and visibility != "open":
        raise Invalid.field("visibility", "a public space is open to everyone")
    if kind == "practice" and visibility != "secret":
        raise Invalid.field("visibility", "a practice space is seen by its owner only")
    return kind, visibility


def check_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise Invalid.field("name", "must not be empty")
    if len(name) > 200:
        raise Invalid.field("name", "must be at most 200 characters long")
    return name


def check_closes_at(closes_at: datetime | None, *, now: datetime) -> datetime:
    if closes_at is None:
        raise Invalid.field("closes_at", "a situation room needs a closing time")
    closes_at = as_utc(closes_at)
    if closes_at <= now:
        raise Invalid.field("closes_at", "must be in the future")
    if closes_at > now + timedelta(days=MAX_SITUATION_DAYS):
        raise Invalid.field("closes_at", f"must be within {MAX_SITUATION_DAYS} days")
    return closes_at


async def do_create_space(
    session: AsyncSession,
    *,
    actor: Person,
    name: str,
    kind: str,
    visibility: str,
    description: str = "",
    unit_id: int | str | None = None,
    closes_at: datetime | None = None,
    member_ids: Iterable[int | str] = (),
) -> Space:
    """Start a space; the creator owns it. Unit and public spaces are for administrators; any
    member may start a community, a hybrid space or a situation room; externals start none."""
    kind, visibility = check_kind_and_visibility(kind, visibility)
    practice.check_creatable(kind)
    name = check_name(name)
    if actor.kind != "member":
        raise Forbidden("Guests cannot start spaces.")
    if kind in ("unit", "public") and not is_admin(actor):
        raise Forbidden(f"Only administrators can create {kind} spaces.")
    unit = await _check_unit(session, kind, unit_id)
    if kind == "situation":
        closes_at = check_closes_at(closes_at, now=utcnow())
    elif closes_at is not None:
        raise Invalid.field("closes_at", "only situation rooms close")
    space = Space(
        name=name,
        slug=await _unique_slug(session, name),
        description=description.strip()[:5000],
        kind=kind,
        visibility=visibility,
        unit_id=unit.id if unit else None,
        closes_at=closes_at,
        created_by_id=actor.id,
    )
    session.add(space)
    await session.flush()
    trail.record_space(
        session,
        actor=actor,
        action="space.created",
        space=space,
        **changed({}, trail.settings_of(space)),
    )
    await events.space_created(session, space=space)
    await _add_first_members(session, actor=actor, space=space, member_ids=member_ids)
    return space


async def _check_unit(session: AsyncSession, kind: str, unit_id: int | str | None) -> Unit | None:
    """The unit of a unit space; no other space has one."""
    if kind == "unit":
        uid = parse_id(unit_id)
        unit = await session.get(Unit, uid) if uid is not None else None
        if unit is None:
            raise Invalid.field("unit_id", "a unit space needs the id of an existing unit")
        return unit
    if unit_id not in (None, ""):
        raise Invalid.field("unit_id", "only unit spaces belong to a unit")
    return None


async def _add_first_members(
    session: AsyncSession, *, actor: Person, space: Space, member_ids: Iterable[int | str]
) -> None:
    """The creator as owner (except an administrator outside the organisation's units who
    starts a unit space: they need not belong to it), the people of a unit space's unit, and
    the people the creator named."""
    owns = space.kind != "unit" or not is_admin(actor) or actor.unit_id is not None
    if owns:
        session.add(Membership(space_id=space.id, person_id=actor.id, role="owner"))
        await events.membership_changed(
            session, space_id=space.id, person_id=actor.id, role="owner"
        )
    await session.flush()
    if space.unit_id is not None:
        await do_sync_unit_memberships(session, space_ids=[space.id])
    ids = {pid for pid in map(parse_id, member_ids) if pid is not None} - {actor.id}
    if space.kind == "situation" and len(ids) > SITUATION_MAX_PEOPLE:
        raise Invalid.field(
            "member_ids", f"a situation room holds at most {SITUATION_MAX_PEOPLE} people"
        )
    access = policy.space_access(actor, space, "owner" if owns else None)
    for pid in sorted(ids):  # a new space has no history for a new organisation to read
        await do_add_member(
            session,
            access=access,
            person_id=pid,
            role="member",
            confirm_new_organization=True,
        )


async def do_update_space(
    session: AsyncSession, *, access: SpaceAccess, changes: dict[str, object]
) -> Space:
    space = access.space
    if not access.can_manage:
        raise Forbidden("Only the space's owners and moderators can change it.")
    if changes.get("visibility") is not None and not access.can_own:
        raise Forbidden("Only owners can change who can see the space.")
    if space.archived_at is not None:
        raise Conflict("This space is archived; it can no longer be changed.")
    before = trail.settings_of(space)
    if "name" in changes and changes["name"] is not None:
        space.name = check_name(str(changes["name"]))
    if "description" in changes and changes["description"] is not None:
        space.description = str(changes["description"]).strip()[:5000]
    if changes.get("guidelines") is not None:
        space.guidelines = guidelines.check_guidelines(str(changes["guidelines"]))
    if changes.get("visibility") is not None:
        check_kind_and_visibility(space.kind, str(changes["visibility"]))
        if space.visibility != changes["visibility"]:
            space.visibility = str(changes["visibility"])
            await events.visibility_changed(session, space_id=space.id, visibility=space.visibility)
    if changes.get("closes_at") is not None:
        if space.kind != "situation":
            raise Invalid.field("closes_at", "only situation rooms close")
        if not policy.is_open_for_writing(space):
            raise Conflict("This situation room has closed: reopen it (unarchive) instead.")
        space.closes_at = check_closes_at(changes["closes_at"], now=utcnow())  # type: ignore[arg-type]
    for flag in ("wiki_moderators_only", "wiki_externals_may_edit"):
        if changes.get(flag) is not None:
            setattr(space, flag, bool(changes[flag]))
    await session.flush()
    diff = changed(before, trail.settings_of(space))
    if diff["after"]:
        trail.record_space(session, actor=access.actor, action="space.updated", space=space, **diff)
    await events.space_updated(session, space=space)
    return space


def check_can_archive(access: SpaceAccess) -> None:
    if not access.can_own:
        raise Forbidden("Only owners and administrators can archive a space.")


async def do_archive_space(session: AsyncSession, *, access: SpaceAccess) -> Space:
    """Make the space read-only for good (again: nothing changes)."""
    space = access.space
    check_can_archive(access)
    if space.archived_at is None:
        space.archived_at = utcnow()
        trail.record_space(session, actor=access.actor, action="space.archived", space=space)
    await session.flush()
    return space


def check_can_unarchive(access: SpaceAccess) -> None:
    if not access.can_own:
        raise Forbidden("Only owners and administrators can bring an archived space back.")


async def do_unarchive_space(
    session: AsyncSession,
    *,
    access: SpaceAccess,
    closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Space:
    """Bring an archived space (or a situation room whose time is up) back to live: writable
    again and back in the directory. A situation room needs a new ``closes_at`` in the
    future (Invalid); no other space takes one. Conflict when it is live already."""
    space, now = access.space, now or utcnow()
    check_can_unarchive(access)
    if policy.is_open_for_writing(space, now):
        raise Conflict("This space is not archived.")
    before = {"archived_at": space.archived_at, "closes_at": space.closes_at}
    if space.kind == "situation":
        space.closes_at = check_closes_at(closes_at, now=now)
    elif closes_at is not None:
        raise Invalid.field("closes_at", "only situation rooms close")
    space.archived_at = None
    await session.flush()
    after = {"archived_at": None, "closes_at": space.closes_at}
    trail.record_space(
        session,
        actor=access.actor,
        action="space.unarchived",
        space=space,
        **changed(before, after),
    )
    await events.space_unarchived(session, space=space)
    return space


async def do_close_due_situation_rooms(session: AsyncSession) -> int:
    """Archive situation rooms whose time is up (also read-only before this runs)."""
    now = utcnow()
    rows = (
        (
            await session.execute(
                select(Space).where(
                    Space.kind == "situation", Space.archived_at.is_(None), Space.closes_at <= now
                )
            )
        )
        .scalars()
        .all()
    )
    for space in rows:
        space.archived_at = space.closes_at
        trail.record_space(
            session, actor=None, action="space.archived", space=space, label=trail.HOUSEKEEPING
        )
    await session.flush()
    return len(rows)


async def do_join_from_directory(
    session: AsyncSession, *, person: Person, spaces: Iterable[Space]
) -> list[Space]:
    """Make a person a member of spaces their directory's groups name (single sign-on): the
    open (not archived) spaces they may belong to and are not in yet; no one is removed. The
    spaces joined."""
    joined = []
    for space in spaces:
        if space.kind == "unit" or space.archived_at is not None:
            continue  # unit spaces follow the organisation tree
        if not policy.may_belong(person, space):
            continue
        if await session.get(Membership, (space.id, person.id)) is not None:
            continue
        session.add(Membership(space_id=space.id, person_id=person.id, role="member"))
        await session.flush()
        await events.membership_changed(
            session, space_id=space.id, person_id=person.id, role="member"
        )
        trail.record_member(
            session,
            actor=None,
            action="member.joined",
            space=space,
            person_id=person.id,
            label="single sign-on",
            after={"role": "member"},
        )
        joined.append(space)
    return joined
