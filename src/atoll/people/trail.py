"""What a change to a person writes to the audit log: the account fields before and after,
and the action that names the change best. The ``do_*`` functions of ``service``, ``auth``,
``tokens`` and ``totp`` call these in their own transaction.

Who acted is a person, or — ``actor`` None — the system, named by a label: the command line
(the default), "single sign-on", "SCIM token <name>", "invitation", "org-chart import"."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import changed, record_audit
from atoll.people.models import Person

COMMAND_LINE = "command line"
# The fields of a person the log keeps before and after (never a password, never the bio).
ACCOUNT_FIELDS = (
    "name",
    "email",
    "title",
    "kind",
    "role",
    "unit_id",
    "organization",
    "relation",
    "is_active",
    "is_analyst",
)
# The action a change is filed under: the first of these whose field changed.
ACTIONS = (
    ("is_active", None),  # person.deactivated / person.reactivated
    ("kind", "person.kind_changed"),  # which changes the role too
    ("role", "person.role_changed"),
    ("is_analyst", "person.analyst_changed"),
    ("unit_id", "person.moved"),
)


def snapshot(person: Person) -> dict[str, Any]:
    return {field: getattr(person, field) for field in ACCOUNT_FIELDS}


def actor_fields(actor: Person | None, label: str = "") -> dict[str, Any]:
    """``actor_id`` and ``actor_label`` of an entry: a person, or the system by its label."""
    if actor is not None:
        return {"actor_id": actor.id, "actor_label": label}
    return {"actor_id": None, "actor_label": label or COMMAND_LINE}


def record_person(
    session: AsyncSession,
    *,
    actor: Person | None,
    action: str,
    person: Person | int,
    label: str = "",
    **detail: Any,
) -> None:
    record_audit(
        session,
        action=action,
        target_type="person",
        target_id=person if isinstance(person, int) else person.id,
        **actor_fields(actor, label),
        **detail,
    )


def record_created(
    session: AsyncSession, *, actor: Person | None, person: Person, label: str = ""
) -> None:
    record_person(
        session,
        actor=actor,
        action="person.created",
        person=person,
        label=label,
        **changed({}, {k: v for k, v in snapshot(person).items() if v not in (None, "")}),
    )


def action_for(diff: dict[str, Any], *, password: bool) -> str:
    after = diff["after"]
    for field, action in ACTIONS:
        if field in after:
            return action or ("person.reactivated" if after[field] else "person.deactivated")
    return "person.password_set" if password and not after else "person.updated"


def record_update(
    session: AsyncSession,
    *,
    actor: Person | None,
    person: Person,
    before: dict[str, Any],
    changes: dict[str, Any],
    label: str = "",
) -> None:
    """One entry for one change of a person by someone else (an administrator, SCIM): the
    account fields that changed, and whether a password was set (never the password). A
    person editing their own profile is not an administrative action: nothing is written."""
    if actor is not None and actor.id == person.id:
        return
    diff = changed(before, snapshot(person))
    password = changes.get("password") is not None
    others = sorted(set(changes) - set(ACCOUNT_FIELDS) - {"password"})
    if not diff["after"] and not password and not others:
        return
    extra: dict[str, Any] = {"password_set": True} if password else {}
    if others:
        extra["also_changed"] = others
    record_person(
        session,
        actor=actor,
        action=action_for(diff, password=password),
        person=person,
        label=label,
        **diff,
        **extra,
    )
