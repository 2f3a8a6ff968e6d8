"""SCIM Users written: a User created, replaced, patched or deleted becomes a change of a
person through the people service (``do_create_person``, ``do_update_person``), so every
rule of people holds, and each change is in the audit log in the SCIM client's name
(``actor_label``: "SCIM token <name>")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.kit.time import utcnow
from atoll.people.access import active_admins_besides
from atoll.people.models import Person
from atoll.people.passwords import Hashing
from atoll.people.service import do_create_person, do_update_person

from . import scim_values as values
from .models import ScimUser
from .scim_errors import ScimError
from .scim_users import UserState, state_of


async def _check_user_name(session: AsyncSession, state: UserState, person_id: int | None) -> None:
    key = state.user_name.lower()
    others = ScimUser.person_id != person_id if person_id is not None else true()
    held = await session.scalar(
        select(
            exists().where(ScimUser.user_name_key == key, others)
            | exists().where(
                Person.email == key,
                Person.id != (person_id or 0),
                ~exists().where(ScimUser.person_id == Person.id),
            )
        )
    )
    if held:
        raise ScimError(409, f"Another User has the userName {state.user_name}.", "uniqueness")


async def _check_email(session: AsyncSession, state: UserState, person_id: int | None) -> None:
    held = await session.scalar(
        select(exists().where(Person.email == state.email, Person.id != (person_id or 0)))
    )
    if held:
        raise ScimError(409, f"Someone already has the e-mail address {state.email}.", "uniqueness")


async def _check_may_deactivate(session: AsyncSession, person: Person) -> None:
    if person.role == "admin" and not await active_admins_besides(session, [person.id]):
        raise ScimError(
            400,
            "This is the last active administrator of Atoll; make someone else an admin first.",
            "mutability",
        )


def _row_values(state: UserState) -> dict[str, Any]:
    return {
        "user_name": state.user_name,
        "user_name_key": state.user_name.lower(),
        "external_id": state.external_id,
        "display_name": state.display_name,
        "name_formatted": state.name_formatted,
        "given_name": state.given_name,
        "family_name": state.family_name,
        "email_type": state.email_type,
        "email_primary": state.email_primary,
    }


async def do_apply_user(
    session: AsyncSession,
    *,
    person: Person,
    row: ScimUser | None,
    state: UserState,
    hashing: Hashing,
    actor_label: str = "",
) -> tuple[ScimUser, bool]:
    """Make the person and their row say what ``state`` says; whether anything was written.
    The person changes through ``do_update_person`` (deactivation signs them out everywhere)
    and only in what differs."""
    current = state_of(person, row)
    if state.user_name.lower() != current.user_name.lower() or row is None:
        await _check_user_name(session, state, person.id)
    if state.email != person.email:
        await _check_email(session, state, person.id)
    changes: dict[str, Any] = {}
    name = values.text(state.person_name(person.name), "name") or person.name
    if name != person.name:
        changes["name"] = name
    if (state.title or "") != person.title:
        changes["title"] = state.title or ""
    if state.email != person.email:
        changes["email"] = state.email
    if state.active != person.is_active:
        if not state.active:
            await _check_may_deactivate(session, person)
        changes["is_active"] = state.active
    if changes:
        await do_update_person(
            session,
            actor=None,
            person=person,
            changes=changes,
            hashing=hashing,
            actor_label=actor_label,
        )
    wanted = _row_values(state)
    if row is None:
        row = ScimUser(person_id=person.id, **wanted)
        session.add(row)
        await session.flush()
        return row, True
    differs = {k: v for k, v in wanted.items() if getattr(row, k) != v}
    for key, value in differs.items():
        setattr(row, key, value)
    if differs:
        await session.flush()
    return row, bool(changes or differs)


async def do_create_user(
    session: AsyncSession, *, state: UserState, hashing: Hashing, actor_label: str = ""
) -> tuple[Person, ScimUser]:
    """A new person (a member, at the top of the organisation until a Group takes them), or
    one a SCIM DELETE had removed, with this userName or e-mail address, back again."""
    gone = (
        await session.execute(
            select(Person, ScimUser)
            .join(ScimUser, ScimUser.person_id == Person.id)
            .where(
                ScimUser.deleted_at.is_not(None),
                (ScimUser.user_name_key == state.user_name.lower()) | (Person.email == state.email),
            )
            .limit(1)
        )
    ).first()
    if gone is not None:
        person, row = gone
        row.deleted_at = None
        row, _ = await do_apply_user(
            session, person=person, row=row, state=state, hashing=hashing, actor_label=actor_label
        )
        return person, row
    await _check_user_name(session, state, None)
    await _check_email(session, state, None)
    person = await do_create_person(
        session,
        actor=None,
        hashing=hashing,
        name=state.person_name(""),
        email=state.email,
        title=state.title or "",
        actor_label=actor_label,
    )
    row, _ = await do_apply_user(
        session, person=person, row=None, state=state, hashing=hashing, actor_label=actor_label
    )
    return person, row


async def do_delete_user(
    session: AsyncSession,
    *,
    person: Person,
    row: ScimUser | None,
    hashing: Hashing,
    actor_label: str = "",
) -> None:
    """The person is deactivated and kept, with everything they wrote; the User is gone."""
    if row is None:
        row, _ = await do_apply_user(
            session, person=person, row=None, state=state_of(person, None), hashing=hashing
        )
    if person.is_active:
        await _check_may_deactivate(session, person)
        await do_update_person(
            session,
            actor=None,
            person=person,
            changes={"is_active": False},
            hashing=hashing,
            actor_label=actor_label,
        )
    row.deleted_at = utcnow()
    await session.flush()
