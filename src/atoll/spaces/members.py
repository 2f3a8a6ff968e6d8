"""Who belongs to a space: membership (add, remove, leave, join, requests), the audience of
a space and the organisations it holds, and unit spaces kept in step with the organisation
tree. ``service`` (spaces themselves) builds on this."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.db.base import BigId, UtcDateTime
from atoll.kit.errors import Conflict, Forbidden, Invalid, NotFound
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_name_id_cursor, encode_cursor
from atoll.kit.time import utcnow
from atoll.people.models import Person
from atoll.people.units import unit_and_descendants
from atoll.spaces import events, policy, trail
from atoll.spaces.models import ROLES, JoinRequest, Membership, Space
from atoll.spaces.policy import SpaceAccess


async def role_in(session: AsyncSession, *, space_id: int, person: Person | None) -> str | None:
    if person is None:
        return None
    return await session.scalar(
        select(Membership.role).where(
            Membership.space_id == space_id, Membership.person_id == person.id
        )
    )


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


async def _load_person(session: AsyncSession, viewer: Person, person_id: int | str) -> Person:
    pid = parse_id(person_id)
    if pid is None:
        raise Invalid.field("person_id", "must be the id of a person")
    person = (
        await session.execute(select(Person).where(Person.id == pid, policy.visible_people(viewer)))
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
    access: SpaceAccess,
    person_id: int | str,
    role: str = "member",
    confirm_new_organization: bool = False,
) -> Membership:
    """Add someone (or change their role). Managers add members; owners grant roles. A
    person who brings a new organisation into a hybrid space needs
    ``confirm_new_organization`` (see ``check_new_organization``)."""
    actor, space = access.actor, access.space
    check_can_add(access)
    if role not in ROLES:
        raise Invalid.field("role", "must be owner, moderator or member")
    if role != "member" and not access.can_own:
        raise Forbidden("Only owners can change roles.")
    if not policy.is_open_for_writing(space):
        raise Conflict("This space is archived; nobody can be added.")
    if space.kind == "practice":
        raise Forbidden("A practice space is its owner's alone: nobody else can join it.")
    person = await _load_person(session, actor, person_id)
    if not policy.may_belong(person, space):
        raise Invalid.field("person_id", "external people can only join hybrid spaces")
    existing = await session.get(Membership, (space.id, person.id))
    changes_a_role = role != "member" or (existing is not None and existing.role != "member")
    if changes_a_role and not access.can_own:
        raise Forbidden("Only owners can change roles.")
    if existing is None:
        await check_new_organization(
            session, space=space, person=person, confirmed=confirm_new_organization
        )
        existing = Membership(
            space_id=space.id, person_id=person.id, role=role, guidelines_due=True
        )
        session.add(existing)
        await session.execute(
            delete(JoinRequest).where(
                JoinRequest.space_id == space.id,
                JoinRequest.person_id == person.id,
                JoinRequest.status == "pending",
            )
        )
        await session.flush()
        await events.member_added(session, events.Added(actor, space, person, role))
        trail.member(session, actor, "member.added", space, person.id, after={"role": role})
    else:
        if existing.role == "owner" and role != "owner":
            await _check_not_last_owner(session, space, person.id)
        if existing.role != role:
            await events.membership_changed(
                session, space_id=space.id, person_id=person.id, role=role
            )
            trail.role_changed(session, actor, space, person.id, existing.role, role)
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


def check_can_add(access: SpaceAccess) -> None:
    """Owners, moderators and administrators add people (Forbidden before anyone is looked up)."""
    if not access.can_manage:
        raise Forbidden("Only the space's owners and moderators can add people.")


async def access_membership(
    session: AsyncSession, *, access: SpaceAccess, person_id: int | str
) -> Membership:
    """The membership the viewer of ``access`` may end: someone else's (owners and
    moderators; only owners end an owner's) or their own (leaving). Forbidden, NotFound when
    there is none, Conflict for the people of a unit in its space and for the last owner."""
    actor, space = access.actor, access.space
    pid = parse_id(person_id)
    if pid != actor.id and not access.can_manage:
        # the same answer whether or not they are a member: the members may be hidden
        raise Forbidden("Only the space's owners and moderators can remove people.")
    membership = await session.get(Membership, (space.id, pid)) if pid is not None else None
    if pid is None or membership is None:
        raise NotFound("No such member.")
    if pid != actor.id and membership.role == "owner" and not access.can_own:
        raise Forbidden("Only owners can remove an owner.")
    if membership.source == "unit" and space.kind == "unit":
        raise Conflict(
            "People of the unit belong to its space; they leave it by moving to another unit."
        )
    if membership.role == "owner":
        await _check_not_last_owner(session, space, pid)
    return membership


async def do_remove_member(
    session: AsyncSession, *, access: SpaceAccess, person_id: int | str
) -> None:
    """Remove someone or leave (see ``access_membership``)."""
    space = access.space
    membership = await access_membership(session, access=access, person_id=person_id)
    trail.removed(session, access.actor, space, membership.person_id, membership.role)
    await session.delete(membership)
    await events.membership_changed(
        session, space_id=space.id, person_id=membership.person_id, role=None
    )
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
        session.add(Membership(space_id=space.id, person_id=actor.id, guidelines_due=True))
        await events.membership_changed(
            session, space_id=space.id, person_id=actor.id, role="member"
        )
        trail.member(session, actor, "member.joined", space, actor.id, after={"role": "member"})
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
        await events.join_requested(session, actor=actor, space=space)
    return "requested"


async def pending_requests(
    session: AsyncSession, *, access: SpaceAccess
) -> list[tuple[JoinRequest, Person]]:
    """The requests to join the space waiting for an answer, oldest first: for its owners,
    moderators and administrators (Forbidden to anyone else)."""
    if not access.can_manage:
        raise Forbidden("Only the space's owners and moderators see requests to join.")
    space = access.space
    rows = await session.execute(
        select(JoinRequest, Person)
        .join(Person, Person.id == JoinRequest.person_id)
        .where(JoinRequest.space_id == space.id, JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at)
        .limit(200)
    )
    return [(r, p) for r, p in rows.tuples().all()]


async def do_decide_request(
    session: AsyncSession, *, access: SpaceAccess, request_id: int | str, approve: bool
) -> JoinRequest:
    actor, space = access.actor, access.space
    if not access.can_manage:
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
    trail.member(session, actor, f"join_request.{request.status}", space, request.person_id)
    if approve and await session.get(Membership, (space.id, request.person_id)) is None:
        session.add(Membership(space_id=space.id, person_id=request.person_id, guidelines_due=True))
        await events.membership_changed(
            session, space_id=space.id, person_id=request.person_id, role="member"
        )
    await session.flush()
    await events.join_answered(session, actor=actor, space=space, request=request)
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
        await events.memberships_synced(session, space_id=space_id, person_ids=gone.scalars().all())
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
        await events.memberships_synced(
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
                .where(clause, policy.visible_people(viewer), Person.is_active.is_(True))
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
            policy.visible_people(viewer),
            ~select(Membership.person_id)
            .where(Membership.space_id == space.id, Membership.person_id == Person.id)
            .exists(),
        )
        if space.kind != "hybrid":
            stmt = stmt.where(Person.kind == "member")
    else:
        stmt = stmt.where(policy.readers_of(space), policy.visible_people(viewer))
    return list((await session.execute(stmt.order_by(Person.name).limit(limit))).scalars())
