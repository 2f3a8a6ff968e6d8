"""People use cases: create, change, find. Routers call these; they never commit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.batches import batches
from atoll.kit.errors import Conflict, Forbidden, Invalid, denied
from atoll.kit.ids import parse_id
from atoll.kit.pagination import clamp_limit, decode_name_id_cursor, encode_cursor
from atoll.kit.text import clean_name
from atoll.kit.time import utcnow
from atoll.people import access, auth, policy, trail
from atoll.people.events import PeopleChanged, access_changed, people_changed
from atoll.people.models import KINDS, RELATIONS, ROLES, AuthSession, Person, PersonSkill
from atoll.people.passwords import Hashing
from atoll.people.schemas import EMAIL_PATTERN, SELF_FIELDS
from atoll.people.units import check_unit, root_unit_id, unit_and_descendants

EMAIL_RE = re.compile(EMAIL_PATTERN)


def check_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise Invalid.field("email", "must be an e-mail address like ana@example.com")
    return email


def check_identity(
    *, kind: str, role: str | None, organization: str | None, relation: str | None
) -> tuple[str, str, str | None, str | None]:
    """Normalise kind, role, organisation and relation, and refuse impossible combinations."""
    if kind not in KINDS:
        raise Invalid.field("kind", "must be member or external")
    organization = clean_name(organization) if organization else organization
    if kind == "external":
        role = role or "guest"
        if role != "guest":
            raise Invalid.field("role", "an external person can only be a guest")
        if not organization:
            raise Invalid.field("organization", "is required for an external person")
        if relation not in RELATIONS:
            raise Invalid.field("relation", "must be customer, partner or public")
        return kind, role, organization, relation
    role = role or "member"
    if role not in ROLES or role == "guest":
        raise Invalid.field(
            "role", "a member is an admin, a moderator or a member; guests are external"
        )
    return kind, role, organization or None, None


def check_skills(skills: Iterable[str]) -> list[str]:
    """Skills with spaces tidied, cut to 100 characters, without repeats that differ only in
    case. The lower-cased copy that search uses must fit too, and a few letters grow when
    lower-cased (İ becomes i̇), so such a skill is cut a little shorter."""
    seen: dict[str, str] = {}
    for raw in skills:
        skill = clean_name(raw)[:100]
        while len(skill.lower()) > 100:
            skill = skill[:-1].rstrip()
        if skill and skill.lower() not in seen:
            seen[skill.lower()] = skill
    return list(seen.values())


async def skills_by_person(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(PersonSkill.person_id, PersonSkill.name)
            .where(PersonSkill.person_id.in_(ids))
            .order_by(PersonSkill.name)
        )
        for pid, name in rows:
            out[pid].append(name)
    return out


async def do_set_skills(session: AsyncSession, *, person: Person, skills: Iterable[str]) -> None:
    await session.execute(delete(PersonSkill).where(PersonSkill.person_id == person.id))
    session.add_all(
        PersonSkill(person_id=person.id, name=s, key=s.lower()) for s in check_skills(skills)
    )
    await session.flush()


async def access_person(
    session: AsyncSession, *, visible: ColumnElement[bool], person_id: int | str
) -> Person:
    """Load a person the viewer may see (``visible``: ``atoll.spaces.policy.visible_people``
    of the viewer), or raise NotFound (never reveal who exists)."""
    pid = parse_id(person_id)
    if pid is None:
        raise denied("person", signed_in=True, may_know=False)
    person = (
        await session.execute(select(Person).where(Person.id == pid, visible))
    ).scalar_one_or_none()
    if person is None:
        raise denied("person", signed_in=True, may_know=False)
    return person


async def _email_taken(session: AsyncSession, email: str, *, other_than: int | None = None) -> bool:
    clause = Person.email == email
    if other_than is not None:
        clause = and_(clause, Person.id != other_than)
    return bool(await session.scalar(select(exists().where(clause))))


async def do_create_person(
    session: AsyncSession,
    *,
    actor: Person | None,
    hashing: Hashing,
    name: str,
    email: str,
    password: str | None = None,
    kind: str = "member",
    role: str | None = None,
    unit_id: int | str | None = None,
    organization: str | None = None,
    relation: str | None = None,
    title: str = "",
    skills: Iterable[str] = (),
    actor_label: str = "",
) -> Person:
    """Add a person. ``actor`` None means the command line (create-admin), or the system
    ``actor_label`` names in the audit log (single sign-on, SCIM, an invitation). A password
    is hashed at the cost ``hashing`` says (``Hashing.of(settings)``)."""
    if actor is not None and not policy.can_administer_people(actor):
        raise Forbidden("Only administrators can add people.")
    email = check_email(email)
    name = clean_name(name)
    if not name:
        raise Invalid.field("name", "must not be empty")
    kind, role, organization, relation = check_identity(
        kind=kind, role=role, organization=organization, relation=relation
    )
    uid = await check_unit(session, unit_id)
    if kind == "member" and uid is None:
        uid = await root_unit_id(session)
    if await _email_taken(session, email):
        raise Conflict(f"Someone already has the e-mail address {email}.")
    person = Person(
        name=name,
        email=email,
        kind=kind,
        role=role,
        unit_id=uid if kind == "member" else None,
        organization=organization,
        relation=relation,
        title=clean_name(title),
        bio="",
        is_active=True,
        password_hash=await hashing.hash(password) if password else None,
    )
    session.add(person)
    await session.flush()
    await do_set_skills(session, person=person, skills=skills)
    trail.record_created(session, actor=actor, person=person, label=actor_label)
    await people_changed(session, PeopleChanged([person], placed=person.unit_id is not None))
    return person


async def do_update_person(
    session: AsyncSession,
    *,
    actor: Person | None,
    person: Person,
    changes: dict[str, Any],
    hashing: Hashing,
    actor_label: str = "",
) -> Person:
    """Apply profile changes (self or admin) and account changes (admin only). A null leaves a
    field as it is, except the organisation, which it clears. ``actor`` None means the system
    (SCIM provisioning, named by ``actor_label`` in the audit log), which may change what an
    administrator may. A change by someone else is one audit entry (``trail.record_update``).

    A change of kind goes through ``access.do_apply_kind_changes``, the rule every path that
    changes a kind follows; a change of role or of the analyst permission is told to the
    person's open event streams (``access.changed``); search and the unit spaces follow the
    change (``people.changed``)."""
    changes = {k: v for k, v in changes.items() if v is not None or k == "organization"}
    if actor is not None and not policy.can_edit_profile(actor, person):
        raise Forbidden("You can only edit your own profile.")
    admin_fields = set(changes) - SELF_FIELDS
    if actor is not None and admin_fields and not policy.can_administer_people(actor):
        raise Forbidden(f"Only administrators can change {', '.join(sorted(admin_fields))}.")
    before = trail.snapshot(person)
    await _change_profile(session, person, changes)
    was_kind, was_role, was_analyst = person.kind, person.role, person.is_analyst
    await _change_identity(session, person, changes, was_kind=was_kind)
    await _change_account(session, actor, person, changes, hashing)
    if changes.get("skills") is not None:
        await do_set_skills(session, person=person, skills=changes["skills"])
    await session.flush()
    trail.record_update(
        session, actor=actor, person=person, before=before, changes=changes, label=actor_label
    )
    if person.kind != was_kind:
        await access.do_apply_kind_changes(session, person_ids=[person.id])
    elif (person.role, person.is_analyst) != (was_role, was_analyst):
        await access_changed(session, person_id=person.id, reason="role")
    # A change of kind brought the unit spaces in step already.
    placed = person.kind == was_kind and bool({"unit_id", "is_active"} & set(changes))
    await people_changed(session, PeopleChanged([person], placed=placed))
    return person


async def do_set_active(
    session: AsyncSession, *, actor: Person, person: Person, active: bool, hashing: Hashing
) -> Person:
    """Deactivate (``active`` False) or reactivate a person: administrators only, the same
    path as an ``is_active`` change through ``do_update_person``. Deactivating signs the
    person out everywhere and never leaves the organisation without an active
    administrator."""
    if not policy.can_administer_people(actor):
        raise Forbidden("Only administrators can deactivate or reactivate people.")
    return await do_update_person(
        session, actor=actor, person=person, changes={"is_active": active}, hashing=hashing
    )


async def do_move_people(
    session: AsyncSession,
    *,
    people: Sequence[Person],
    unit_id: int | None,
    actor: Person | None = None,
    actor_label: str = "",
) -> None:
    """Seat members in a unit (SCIM provisioning moves a group's members at once): one
    ``people.changed`` for all of them, so the unit spaces are brought in step once; one
    audit entry per person moved."""
    uid = await check_unit(session, unit_id)
    moving = [p for p in people if p.unit_id != uid]
    if any(p.kind != "member" for p in moving):
        raise Invalid.field("unit_id", "external people do not belong to a unit")
    for person in moving:
        trail.record_person(
            session,
            actor=actor,
            action="person.moved",
            person=person,
            label=actor_label,
            before={"unit_id": person.unit_id},
            after={"unit_id": uid},
        )
        person.unit_id = uid
    if moving:
        await session.flush()
        await people_changed(session, PeopleChanged(moving, placed=True))


async def _change_profile(session: AsyncSession, person: Person, changes: dict[str, Any]) -> None:
    """Name, title, biography and e-mail address."""
    if "name" in changes:
        name = clean_name(str(changes["name"]))
        if not name:
            raise Invalid.field("name", "must not be empty")
        person.name = name
    if changes.get("title") is not None:
        person.title = clean_name(str(changes["title"]))
    if changes.get("bio") is not None:
        person.bio = str(changes["bio"]).strip()
    if changes.get("coach_opt_in") is not None:
        person.coach_opt_in = bool(changes["coach_opt_in"])
    if "email" in changes and changes["email"] is not None:
        email = check_email(changes["email"])
        if await _email_taken(session, email, other_than=person.id):
            raise Conflict(f"Someone already has the e-mail address {email}.")
        person.email = email


async def _change_identity(
    session: AsyncSession, person: Person, changes: dict[str, Any], *, was_kind: str
) -> None:
    """Kind, role, organisation, relation, and the unit that goes with them."""
    if {"kind", "role", "organization", "relation"} & set(changes):
        kind, role, organization, relation = check_identity(
            kind=changes.get("kind") or person.kind,
            role=changes.get("role") or (None if "kind" in changes else person.role),
            organization=changes.get("organization", person.organization),
            relation=changes.get("relation", person.relation),
        )
        if person.role == "admin" and role != "admin":
            await _check_not_last_admin(session, person)
        person.kind, person.role = kind, role
        person.organization, person.relation = organization, relation
        if kind == "external":
            person.unit_id = None
            person.is_analyst = False
    if changes.get("unit_id") is not None:
        if person.kind == "external":
            raise Invalid.field("unit_id", "external people do not belong to a unit")
        person.unit_id = await check_unit(session, changes["unit_id"])
    elif person.kind == "member" and was_kind == "external" and person.unit_id is None:
        # like a person added without a unit: they sit at the top until someone moves them
        person.unit_id = await root_unit_id(session)


async def _change_account(
    session: AsyncSession,
    actor: Person | None,
    person: Person,
    changes: dict[str, Any],
    hashing: Hashing,
) -> None:
    """Password (hashed at the cost ``hashing`` says), activation and the analyst
    permission."""
    if changes.get("password") is not None:
        person.password_hash = await hashing.hash(changes["password"])
        if actor is None or actor.id != person.id:
            await auth.do_revoke_all(session, person=person)
    if changes.get("is_active") is not None:
        if not changes["is_active"]:
            await _check_not_last_admin(session, person)
            await auth.do_revoke_all(session, person=person)
        person.is_active = bool(changes["is_active"])
    if changes.get("is_analyst") is not None:
        if changes["is_analyst"] and person.kind != "member":
            raise Invalid.field("is_analyst", "only members can be given the analyst permission")
        person.is_analyst = bool(changes["is_analyst"])


async def _check_not_last_admin(session: AsyncSession, person: Person) -> None:
    if person.role != "admin":
        return
    if not await access.active_admins_besides(session, [person.id]):
        raise Conflict("This is the last administrator; make someone else an admin first.")


async def people_page(
    session: AsyncSession,
    *,
    viewer: Person,
    visible: ColumnElement[bool],
    q: str = "",
    unit_id: int | None = None,
    skill: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Person], str | None]:
    """People the viewer may see (``visible``: ``atoll.spaces.policy.visible_people`` of the
    viewer), alphabetically, matching a name/e-mail/skill text, a skill and a unit (sub-units
    included: for members only, since units are the org chart)."""
    if unit_id is not None and not policy.can_see_org_chart(viewer):
        raise Forbidden("The organisation tree is visible to members only.")
    limit = clamp_limit(limit)
    stmt = select(Person).where(visible)
    q = q.strip()
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Person.name).like(pattern, escape="\\"),
                Person.email.like(pattern, escape="\\"),
                func.lower(Person.title).like(pattern, escape="\\"),
                exists().where(
                    PersonSkill.person_id == Person.id,
                    PersonSkill.key.like(f"{_escape_like(q.lower())}%", escape="\\"),
                ),
            )
        )
    if skill.strip():
        stmt = stmt.where(
            exists().where(
                PersonSkill.person_id == Person.id, PersonSkill.key == skill.strip().lower()
            )
        )
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id.in_(unit_and_descendants(unit_id)))
    after = decode_name_id_cursor(cursor)
    if after is not None:
        name, pid = after
        stmt = stmt.where(or_(Person.name > name, and_(Person.name == name, Person.id > pid)))
    rows = list(
        (await session.execute(stmt.order_by(Person.name, Person.id).limit(limit + 1))).scalars()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].name, rows[-1].id])
    return rows, next_cursor


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def do_deactivate_people(
    session: AsyncSession,
    *,
    person_ids: Sequence[int],
    announce: bool = True,
    actor: Person | None = None,
    actor_label: str = "",
    note: str = "",
) -> None:
    """Deactivate many people at once (an org-chart import's ``deactivate_missing``), each as
    ``do_update_person`` deactivates one: signed out everywhere (their open event streams
    told: ``access.changed``, reason ``revoked``); search and the unit spaces follow
    (``people.changed``; ``announce=False`` for a caller that tells it itself, as an import
    does for everyone at once). Set-based: a few statements per thousand people. The caller
    leaves out the last active administrator (Conflict here, changing nothing, if it did
    not). Each person deactivated is one audit entry, with ``note`` (why)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    await access.check_an_admin_remains(
        session, ids, "This would leave no active administrator; keep one active."
    )
    signed_out: set[int] = set()
    for chunk in batches(ids):
        active = await session.scalars(
            select(Person.id).where(Person.id.in_(chunk), Person.is_active.is_(True))
        )
        for person_id in active:
            trail.record_person(
                session,
                actor=actor,
                action="person.deactivated",
                person=person_id,
                label=actor_label,
                before={"is_active": True},
                after={"is_active": False},
                **({"note": note} if note else {}),
            )
        await session.execute(
            update(Person)
            .where(Person.id.in_(chunk))
            .values(is_active=False)
            .execution_options(synchronize_session="fetch")
        )
        revoked = await session.execute(
            update(AuthSession)
            .where(AuthSession.person_id.in_(chunk), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(AuthSession.person_id)
        )
        signed_out.update(revoked.scalars().all())
    for person_id in sorted(signed_out):
        await access_changed(session, person_id=person_id, reason=auth.REVOKED)
    if not announce:
        return
    people: list[Person] = []
    for chunk in batches(ids):
        people += (await session.scalars(select(Person).where(Person.id.in_(chunk)))).all()
    await people_changed(session, PeopleChanged(people, placed=True))
