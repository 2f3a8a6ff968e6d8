"""Space use cases: create, find, join, leave, invite, roles, requests, archive, audience, and
keeping unit spaces in step with the organisation tree."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.db.base import BigId, UtcDateTime
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_name_id_cursor, encode_cursor
from atoll.kit.text import clean_name
from atoll.kit.time import as_utc, utcnow
from atoll.notifications import service as notifications
from atoll.org.models import Unit
from atoll.org.service import unit_and_descendants
from atoll.people.models import Person
from atoll.people.policy import is_admin, visible_people
from atoll.search import index as search_index
from atoll.spaces import events, policy
from atoll.spaces.models import KINDS, ROLES, VISIBILITIES, JoinRequest, Membership, Space

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


async def role_in(session: AsyncSession, *, space_id: int, person: Person | None) -> str | None:
    if person is None:
        return None
    return await session.scalar(
        select(Membership.role).where(
            Membership.space_id == space_id, Membership.person_id == person.id
        )
    )


def _space_id(space_id: int | str) -> int:
    sid = parse_id(space_id)
    if sid is None:
        raise NotFound("No such space.")
    return sid


async def access_space(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> tuple[Space, str | None]:
    """Load a space the viewer may know exists, with their role; otherwise NotFound."""
    row = (
        await session.execute(
            select(Space).where(Space.id == _space_id(space_id), policy.visible_spaces(viewer))
        )
    ).scalar_one_or_none()
    if row is None:
        if viewer is None:  # the same answer whether or not it exists: sign in first
            raise Unauthorized("Sign in to see this space.")
        raise NotFound("No such space.")
    return row, await role_in(session, space_id=row.id, person=viewer)


async def access_readable_space(
    session: AsyncSession, *, viewer: Person | None, space_id: int | str
) -> tuple[Space, str | None]:
    """Load a space whose content the viewer may read: 404 if they may not know it, 403 if it
    is private to them, 401 if they must sign in first."""
    space, role = await access_space(session, viewer=viewer, space_id=space_id)
    if not policy.can_read(viewer, space, role):
        raise Forbidden("Only members can see what is inside this space. Ask to join.")
    return space, role


async def access_space_by_slug(
    session: AsyncSession, *, viewer: Person | None, slug: str
) -> tuple[Space, str | None]:
    space_id = None
    if "\x00" not in slug:  # PostgreSQL refuses NUL in text; no slug has one
        space_id = await session.scalar(
            select(Space.id).where(Space.slug == slug[:220], policy.visible_spaces(viewer))
        )
    if space_id is None:
        if viewer is None:
            raise Unauthorized("Sign in to see this space.")
        raise NotFound("No such space.")
    return await access_space(session, viewer=viewer, space_id=space_id)


async def member_counts(session: AsyncSession, space_ids: Sequence[int]) -> dict[int, int]:
    if not space_ids:
        return {}
    rows = await session.execute(
        select(Membership.space_id, func.count())
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.space_id.in_(space_ids), Person.is_active.is_(True))
        .group_by(Membership.space_id)
    )
    return {sid: n for sid, n in rows.tuples().all()}


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
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[SpaceView], str | None]:
    """The directory: spaces the viewer may see, by name, optionally of one kind or only theirs."""
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
    if not include_archived:
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
    name = check_name(name)
    if actor.kind != "member":
        raise Forbidden("Guests cannot start spaces.")
    if kind in ("unit", "public") and not is_admin(actor):
        raise Forbidden(f"Only administrators can create {kind} spaces.")
    now = utcnow()
    unit = None
    if kind == "unit":
        uid = parse_id(unit_id)
        unit = await session.get(Unit, uid) if uid is not None else None
        if unit is None:
            raise Invalid.field("unit_id", "a unit space needs the id of an existing unit")
    elif unit_id not in (None, ""):
        raise Invalid.field("unit_id", "only unit spaces belong to a unit")
    if kind == "situation":
        closes_at = check_closes_at(closes_at, now=now)
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
    await search_index.index_space(session, space)
    if kind != "unit" or not is_admin(actor) or actor.unit_id is not None:
        session.add(Membership(space_id=space.id, person_id=actor.id, role="owner"))
        events.membership_changed(session, space_id=space.id, person_id=actor.id, role="owner")
    await session.flush()
    if unit is not None:
        await do_sync_unit_memberships(session, space_ids=[space.id])
    ids = {pid for pid in map(parse_id, member_ids) if pid is not None} - {actor.id}
    if kind == "situation" and len(ids) > SITUATION_MAX_PEOPLE:
        raise Invalid.field(
            "member_ids", f"a situation room holds at most {SITUATION_MAX_PEOPLE} people"
        )
    for pid in sorted(ids):  # a new space has no history for a new organisation to read
        await do_add_member(
            session,
            actor=actor,
            space=space,
            person_id=pid,
            role="member",
            confirm_new_organization=True,
        )
    return space


async def do_update_space(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    role: str | None,
    changes: dict[str, object],
) -> Space:
    if not policy.can_manage(actor, role):
        raise Forbidden("Only the space's owners and moderators can change it.")
    if changes.get("visibility") is not None and not policy.can_own(actor, role):
        raise Forbidden("Only owners can change who can see the space.")
    if space.archived_at is not None:
        raise Conflict("This space is archived; it can no longer be changed.")
    if "name" in changes and changes["name"] is not None:
        space.name = check_name(str(changes["name"]))
    if "description" in changes and changes["description"] is not None:
        space.description = str(changes["description"]).strip()[:5000]
    if changes.get("visibility") is not None:
        check_kind_and_visibility(space.kind, str(changes["visibility"]))
        if space.visibility != changes["visibility"]:
            space.visibility = str(changes["visibility"])
            events.visibility_changed(session, space_id=space.id, visibility=space.visibility)
    if changes.get("closes_at") is not None:
        if space.kind != "situation":
            raise Invalid.field("closes_at", "only situation rooms close")
        space.closes_at = check_closes_at(changes["closes_at"], now=utcnow())  # type: ignore[arg-type]
    for flag in ("wiki_moderators_only", "wiki_externals_may_edit"):
        if changes.get(flag) is not None:
            setattr(space, flag, bool(changes[flag]))
    await session.flush()
    await search_index.index_space(session, space)
    return space


def check_can_archive(actor: Person, role: str | None) -> None:
    if not policy.can_own(actor, role):
        raise Forbidden("Only owners and administrators can archive a space.")


async def do_archive_space(
    session: AsyncSession, *, actor: Person, space: Space, role: str | None
) -> Space:
    """Make the space read-only for good (again: nothing changes)."""
    check_can_archive(actor, role)
    if space.archived_at is None:
        space.archived_at = utcnow()
    await session.flush()
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
    await session.flush()
    return len(rows)


async def _load_person(session: AsyncSession, viewer: Person, person_id: int | str) -> Person:
    pid = parse_id(person_id)
    if pid is None:
        raise Invalid.field("person_id", "must be the id of a person")
    person = (
        await session.execute(select(Person).where(Person.id == pid, visible_people(viewer)))
    ).scalar_one_or_none()
    if person is None or not person.is_active:
        raise Invalid.field("person_id", "no such person")
    return person


class NewOrganization(Conflict):
    """Adding this person brings a new organisation into a hybrid space that already holds
    another one: they would read the whole history, written for the others. The caller asks
    for ``confirm_new_organization`` first."""

    def __init__(self, *, person: Person, space: Space, present: list[str]) -> None:
        self.person_name, self.person_email = person.name, person.email
        self.present = present
        self.organization = person.organization or "their organisation"
        already = ", ".join(present)
        super().__init__(
            f"{self.organization} would be new to {space.name}, which holds people from "
            f"{already}. Adding {person.name} lets {self.organization} read the whole history "
            f"of the space, including what was written with {already}. To go ahead, send "
            '"confirm_new_organization": true.'
        )

    def problem(self) -> dict[str, object]:
        body = super().problem()
        body["organizations"] = self.present
        body["new_organization"] = self.organization
        return body


def _organization_key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


async def organizations_in(session: AsyncSession, *, space: Space) -> list[str]:
    """The organisations of the space's active external members, by name (spelled as the
    first of them is; "Acme Corp" and "acme  corp" are one organisation)."""
    rows = await session.scalars(
        select(Person.organization)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.space_id == space.id,
            Person.kind == "external",
            Person.is_active.is_(True),
            Person.organization.is_not(None),
        )
        .distinct()
    )
    return _distinct_organizations(n for n in rows.all() if n)


def _distinct_organizations(names: Iterable[str]) -> list[str]:
    """Every organisation once, in alphabetical order: names that differ only in case or
    spacing are one organisation, spelled as the first of them in sorted order."""
    seen: dict[str, str] = {}
    for name in sorted(names):
        seen.setdefault(_organization_key(name), name)
    return sorted(seen.values(), key=str.casefold)


async def check_new_organization(
    session: AsyncSession, *, space: Space, person: Person, confirmed: bool
) -> None:
    """Raise NewOrganization when ``person`` would bring a new organisation into a hybrid
    space that already holds another, unless ``confirmed``. The first organisation needs no
    confirmation: a hybrid space is started to work with one."""
    if confirmed or person.kind != "external" or space.kind != "hybrid":
        return
    present = await organizations_in(session, space=space)
    keys = {_organization_key(name) for name in present}
    if present and _organization_key(person.organization) not in keys:
        raise NewOrganization(person=person, space=space, present=present)


async def do_add_member(
    session: AsyncSession,
    *,
    actor: Person,
    space: Space,
    person_id: int | str,
    role: str = "member",
    actor_role: str | None = None,
    confirm_new_organization: bool = False,
) -> Membership:
    """Add someone (or change their role). Managers add members; owners grant roles. A
    person who brings a new organisation into a hybrid space needs
    ``confirm_new_organization`` (see ``check_new_organization``)."""
    if actor_role is None:
        actor_role = await role_in(session, space_id=space.id, person=actor)
    if not policy.can_manage(actor, actor_role):
        raise Forbidden("Only the space's owners and moderators can add people.")
    if role not in ROLES:
        raise Invalid.field("role", "must be owner, moderator or member")
    if role != "member" and not policy.can_own(actor, actor_role):
        raise Forbidden("Only owners can change roles.")
    if not policy.is_open_for_writing(space):
        raise Conflict("This space is archived; nobody can be added.")
    person = await _load_person(session, actor, person_id)
    if not policy.may_belong(person, space):
        raise Invalid.field("person_id", "external people can only join hybrid spaces")
    existing = await session.get(Membership, (space.id, person.id))
    changes_a_role = role != "member" or (existing is not None and existing.role != "member")
    if changes_a_role and not policy.can_own(actor, actor_role):
        raise Forbidden("Only owners can change roles.")
    if existing is None:
        await check_new_organization(
            session, space=space, person=person, confirmed=confirm_new_organization
        )
        existing = Membership(space_id=space.id, person_id=person.id, role=role, source="manual")
        session.add(existing)
        events.membership_changed(session, space_id=space.id, person_id=person.id, role=role)
        await session.execute(
            delete(JoinRequest).where(
                JoinRequest.space_id == space.id,
                JoinRequest.person_id == person.id,
                JoinRequest.status == "pending",
            )
        )
        await session.flush()
        await notifications.notify_invitation(
            session, actor=actor, space=space, person=person, role=role
        )
    else:
        if existing.role == "owner" and role != "owner":
            await _check_not_last_owner(session, space, person.id)
        if existing.role != role:
            events.membership_changed(session, space_id=space.id, person_id=person.id, role=role)
        existing.role = role
    await session.flush()
    return existing


async def _check_not_last_owner(session: AsyncSession, space: Space, person_id: int) -> None:
    owners = await session.scalar(
        select(func.count()).where(
            Membership.space_id == space.id,
            Membership.role == "owner",
            Membership.person_id != person_id,
        )
    )
    if not owners:
        raise Conflict("This is the space's last owner. Make someone else an owner first.")


async def access_membership(
    session: AsyncSession, *, actor: Person, space: Space, person_id: int | str
) -> Membership:
    """The membership ``actor`` may end: someone else's (owners and moderators; only owners
    end an owner's) or their own (leaving). Forbidden, NotFound when there is none, Conflict
    for the people of a unit in its space and for the last owner."""
    pid = parse_id(person_id)
    actor_role = await role_in(session, space_id=space.id, person=actor)
    if pid != actor.id and not policy.can_manage(actor, actor_role):
        # the same answer whether or not they are a member: the members may be hidden
        raise Forbidden("Only the space's owners and moderators can remove people.")
    membership = await session.get(Membership, (space.id, pid)) if pid is not None else None
    if pid is None or membership is None:
        raise NotFound("No such member.")
    if pid != actor.id and membership.role == "owner" and not policy.can_own(actor, actor_role):
        raise Forbidden("Only owners can remove an owner.")
    if membership.source == "unit" and space.kind == "unit":
        raise Conflict(
            "People of the unit belong to its space; they leave it by moving to another unit."
        )
    if membership.role == "owner":
        await _check_not_last_owner(session, space, pid)
    return membership


async def do_remove_member(
    session: AsyncSession, *, actor: Person, space: Space, person_id: int | str
) -> None:
    """Remove someone or leave (see ``access_membership``)."""
    membership = await access_membership(session, actor=actor, space=space, person_id=person_id)
    await session.delete(membership)
    events.membership_changed(session, space_id=space.id, person_id=membership.person_id, role=None)
    await session.flush()


async def do_join(session: AsyncSession, *, actor: Person, space: Space) -> str:
    """Join an open space ("joined") or ask to join a private one ("requested")."""
    if await session.get(Membership, (space.id, actor.id)) is not None:
        return "joined"
    if space.kind == "unit":
        raise Forbidden("A unit space's members are the people of the unit. Follow it instead.")
    if actor.kind != "member":
        raise Forbidden("Guests join spaces by invitation.")
    if not policy.is_open_for_writing(space):
        raise Conflict("This space is archived; nobody can join it any more.")
    if space.visibility == "open":
        session.add(Membership(space_id=space.id, person_id=actor.id, role="member"))
        events.membership_changed(session, space_id=space.id, person_id=actor.id, role="member")
        await session.flush()
        return "joined"
    pending = await session.scalar(
        select(JoinRequest.id).where(
            JoinRequest.space_id == space.id,
            JoinRequest.person_id == actor.id,
            JoinRequest.status == "pending",
        )
    )
    if pending is None:
        session.add(JoinRequest(space_id=space.id, person_id=actor.id))
        await session.flush()
        await notifications.notify_join_request(session, actor=actor, space=space)
    return "requested"


async def pending_requests(
    session: AsyncSession, *, space: Space
) -> list[tuple[JoinRequest, Person]]:
    rows = await session.execute(
        select(JoinRequest, Person)
        .join(Person, Person.id == JoinRequest.person_id)
        .where(JoinRequest.space_id == space.id, JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at)
        .limit(200)
    )
    return [(r, p) for r, p in rows.tuples().all()]


async def do_decide_request(
    session: AsyncSession, *, actor: Person, space: Space, request_id: int | str, approve: bool
) -> JoinRequest:
    actor_role = await role_in(session, space_id=space.id, person=actor)
    if not policy.can_manage(actor, actor_role):
        raise Forbidden("Only the space's owners and moderators can answer requests.")
    request_pk = parse_id(request_id)
    request = await session.get(JoinRequest, request_pk) if request_pk is not None else None
    if request is None or request.space_id != space.id:
        raise NotFound("No such request.")
    if request.status != "pending":
        raise Conflict(f"This request was already {request.status}.")
    if approve and not policy.is_open_for_writing(space):
        raise Conflict("This space is archived; nobody can be added.")
    request.status = "approved" if approve else "declined"
    request.decided_at = utcnow()
    request.decided_by_id = actor.id
    if approve and await session.get(Membership, (space.id, request.person_id)) is None:
        session.add(Membership(space_id=space.id, person_id=request.person_id, role="member"))
        events.membership_changed(
            session, space_id=space.id, person_id=request.person_id, role="member"
        )
    await session.flush()
    await notifications.notify_join_answer(session, actor=actor, space=space, request=request)
    return request


async def members_page(
    session: AsyncSession,
    *,
    space: Space,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[tuple[Person, Membership]], str | None]:
    """Members with their roles, by name."""
    limit = clamp_limit(limit)
    stmt = (
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.space_id == space.id, Person.is_active.is_(True))
    )
    after = decode_name_id_cursor(cursor)
    if after is not None:
        name, pid = after
        stmt = stmt.where(or_(Person.name > name, and_(Person.name == name, Person.id > pid)))
    rows = (
        (await session.execute(stmt.order_by(Person.name, Person.id).limit(limit + 1)))
        .tuples()
        .all()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1][0].name, rows[-1][0].id])
    return [(p, m) for p, m in rows], next_cursor


@dataclass
class Audience:
    members: int
    internal: int
    external: int
    organizations: list[str]
    public: bool


async def audience_of(session: AsyncSession, *, space: Space) -> Audience:
    """Who would see a post here: counts of internal and external readers and the externals'
    organisations. Public spaces are also readable by anyone signed out."""
    readers = policy.readers_of(space)
    rows = await session.execute(
        select(Person.kind, Person.organization, func.count())
        .where(readers)
        .group_by(Person.kind, Person.organization)
    )
    internal = external = 0
    orgs: list[str] = []
    for kind, organization, count in rows.tuples().all():
        if kind == "external":
            external += count
            if organization:
                orgs.append(organization)
        else:
            internal += count
    members = (await member_counts(session, [space.id])).get(space.id, 0)
    if space.kind == "public":  # anyone reads it: do not name every organisation on Atoll
        return Audience(members, internal, external, [], True)
    return Audience(members, internal, external, _distinct_organizations(orgs), False)


async def do_sync_unit_memberships(
    session: AsyncSession, *, space_ids: Sequence[int] | None = None
) -> None:
    """Make each unit space's "unit" members exactly the active people of its unit and
    sub-units: add the missing, remove those who moved away or left."""
    stmt = select(Space.id, Space.unit_id).where(
        Space.kind == "unit", Space.unit_id.is_not(None), Space.archived_at.is_(None)
    )
    if space_ids is not None:
        stmt = stmt.where(Space.id.in_(space_ids))
    for space_id, maybe_unit_id in (await session.execute(stmt)).tuples().all():
        unit_id = int(maybe_unit_id or 0)  # never 0: the query keeps unit spaces with a unit
        should = select(Person.id).where(
            Person.unit_id.in_(unit_and_descendants(unit_id)),
            Person.is_active.is_(True),
            Person.kind == "member",
        )
        gone = await session.execute(
            delete(Membership)
            .where(
                Membership.space_id == space_id,
                Membership.source == "unit",
                Membership.role == "member",
                Membership.person_id.not_in(should),
            )
            .returning(Membership.person_id)
        )
        events.memberships_synced(session, space_id=space_id, person_ids=gone.scalars().all())
        missing = select(
            literal(space_id, BigId),
            Person.id,
            literal("member"),
            literal("unit"),
            literal(utcnow(), UtcDateTime),
        ).where(
            Person.unit_id.in_(unit_and_descendants(unit_id)),
            Person.is_active.is_(True),
            Person.kind == "member",
            ~select(Membership.person_id)
            .where(Membership.space_id == space_id, Membership.person_id == Person.id)
            .exists(),
        )
        added = await session.execute(
            insert(Membership)
            .from_select(["space_id", "person_id", "role", "source", "created_at"], missing)
            .returning(Membership.person_id)
        )
        events.memberships_synced(
            session, space_id=space_id, person_ids=added.scalars().all(), role="member"
        )
    await session.flush()


async def find_person(session: AsyncSession, *, viewer: Person, text: str) -> Person:
    """The one person a form names by e-mail (as the type-ahead fills it in) or by exact name."""
    text = " ".join(text.split())
    if not text:
        raise Invalid.field("person", "name someone to add")
    clause = (
        Person.email == text.lower() if "@" in text else func.lower(Person.name) == text.lower()
    )
    rows = (
        (
            await session.execute(
                select(Person)
                .where(clause, visible_people(viewer), Person.is_active.is_(True))
                .limit(2)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        raise Invalid.field("person", f"nobody called {text} was found")
    if len(rows) > 1:
        raise Invalid.field("person", f"several people are called {text}; use their e-mail")
    return rows[0]


async def suggest_people(
    session: AsyncSession, *, viewer: Person, space: Space, text: str, purpose: str, limit: int = 8
) -> list[Person]:
    """People whose name or e-mail starts with ``text``: for "add", people the viewer may see
    who may belong here and are not members yet; for "mention", only people who can read it."""
    text = text.strip().lower().lstrip("@")
    if not text:
        return []
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = select(Person).where(
        Person.is_active.is_(True),
        or_(
            func.lower(Person.name).like(like, escape="\\"),
            func.lower(Person.name).like("% " + like, escape="\\"),
            Person.email.like(like, escape="\\"),
        ),
    )
    if purpose == "add":
        stmt = stmt.where(
            visible_people(viewer),
            ~select(Membership.person_id)
            .where(Membership.space_id == space.id, Membership.person_id == Person.id)
            .exists(),
        )
        if space.kind != "hybrid":
            stmt = stmt.where(Person.kind == "member")
    else:
        stmt = stmt.where(policy.readers_of(space), visible_people(viewer))
    return list((await session.execute(stmt.order_by(Person.name).limit(limit))).scalars())
