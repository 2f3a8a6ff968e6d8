"""Who handles which reports.

- A space's owners and moderators handle reports on content in their space.
- Platform moderators and administrators handle every report, but never one on content they
  cannot read: the spaces' read rule decides, as everywhere (a platform moderator reads as a
  member does, so not a secret space they are not in). Reports on people are theirs alone.
- Whoever may read a post, a comment or a wiki page may report it; whoever may see a person
  may report them.

``handled_reports`` is the rule as SQL over ``Report`` (the queue and the loading of one report
join it); ``may_handle_space`` is the same for one loaded space."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_

from atoll.conversations.policy import may_govern
from atoll.governance.models import Report
from atoll.people.models import Person
from atoll.people.policy import is_admin, is_platform_moderator
from atoll.spaces.models import Membership
from atoll.spaces.policy import MANAGERS, SpaceAccess, readable_space_ids

# Actions only platform moderators and administrators take.
PLATFORM_ONLY = ("suspend",)


def manages_a_space(viewer: Person) -> ColumnElement[bool]:
    """The viewer is an owner or moderator of some space (SQL, for ``exists``)."""
    return and_(Membership.person_id == viewer.id, Membership.role.in_(MANAGERS))


def handled_reports(viewer: Person | None) -> ColumnElement[bool]:
    """The reports the viewer handles, as SQL over ``Report``."""
    if viewer is None or not viewer.is_active:
        return false()
    managed = exists().where(
        Membership.space_id == Report.space_id,
        Membership.person_id == viewer.id,
        Membership.role.in_(MANAGERS),
    )
    if not is_platform_moderator(viewer):
        return and_(Report.space_id.is_not(None), managed)
    return or_(Report.space_id.is_(None), Report.space_id.in_(readable_space_ids(viewer)))


def may_handle_space(access: SpaceAccess) -> bool:
    """The viewer handles reports on content of this space (``handled_reports`` for one):
    whoever governs its content (``conversations.policy.may_govern``)."""
    return access.viewer is not None and may_govern(access)


def may_take(viewer: Person, action: str) -> bool:
    """Space moderators take every action but suspending a person."""
    return action not in PLATFORM_ONLY or is_platform_moderator(viewer)


def may_suspend(actor: Person, person: Person) -> bool:
    """Platform moderators suspend people, but not administrators (an administrator may)."""
    return is_platform_moderator(actor) and (not is_admin(person) or is_admin(actor))


def may_lift_suspension(actor: Person) -> bool:
    return is_admin(actor)
