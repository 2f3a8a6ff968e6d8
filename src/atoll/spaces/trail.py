"""What a change to a space or its membership writes to the audit log, in the transaction of
the ``do_*`` that makes it (``service``, ``members``). A membership entry's target is the
person, with the space beside it (``space_id``), so the log filters by either."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from atoll.audit.service import record_audit
from atoll.people.models import Person
from atoll.people.trail import actor_fields
from atoll.spaces.models import Space

HOUSEKEEPING = "housekeeping"
# The settings of a space the log keeps before and after.
SETTINGS = (
    "name",
    "description",
    "kind",
    "visibility",
    "closes_at",
    "wiki_moderators_only",
    "wiki_externals_may_edit",
)


def settings_of(space: Space) -> dict[str, Any]:
    return {field: getattr(space, field) for field in SETTINGS}


def record_space(
    session: AsyncSession,
    *,
    actor: Person | None,
    action: str,
    space: Space,
    label: str = "",
    **detail: Any,
) -> None:
    record_audit(
        session,
        action=action,
        target_type="space",
        target_id=space.id,
        space_id=space.id,
        **actor_fields(actor, label),
        **detail,
    )


def record_member(
    session: AsyncSession,
    *,
    actor: Person | None,
    action: str,
    space: Space,
    person_id: int,
    label: str = "",
    **detail: Any,
) -> None:
    """``member.added``, ``member.removed``, ``member.left``, ``member.joined``,
    ``member.role_changed``, ``join_request.approved`` / ``declined``: the person is the
    target, the space beside it."""
    record_audit(
        session,
        action=action,
        target_type="person",
        target_id=person_id,
        space_id=space.id,
        **actor_fields(actor, label),
        **detail,
    )


def member(
    session: AsyncSession,
    actor: Person | None,
    action: str,
    space: Space,
    person_id: int,
    **detail: Any,
) -> None:
    """``record_member`` for the membership functions, short to call."""
    record_member(session, actor=actor, action=action, space=space, person_id=person_id, **detail)


def role_changed(
    session: AsyncSession, actor: Person, space: Space, person_id: int, old: str, new: str
) -> None:
    member(
        session,
        actor,
        "member.role_changed",
        space,
        person_id,
        before={"role": old},
        after={"role": new},
    )


def removed(session: AsyncSession, actor: Person, space: Space, person_id: int, role: str) -> None:
    """Someone removed by a manager (``member.removed``), or leaving (``member.left``)."""
    action = "member.left" if person_id == actor.id else "member.removed"
    member(session, actor, action, space, person_id, before={"role": role})
