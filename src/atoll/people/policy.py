"""Who may see and change whom.

Who may *see* whom depends on the spaces two people share, which the spaces domain decides:
that rule is ``atoll.spaces.policy.visible_people``, a SQL clause joined into every people
query. The people domain's own use cases take it as an argument (``VisiblePeople`` in
``atoll.people.deps`` hands it to the routers)."""

from __future__ import annotations

from datetime import datetime

from atoll.kit.time import as_utc
from atoll.people.models import Person


def is_admin(viewer: Person | None) -> bool:
    return viewer is not None and viewer.role == "admin" and viewer.is_active


# The platform roles that moderate content and handle reports.
PLATFORM_MODERATORS = ("admin", "moderator")


def is_platform_moderator(viewer: Person | None) -> bool:
    """A moderator or an administrator: handles reports and moderates content in every space
    they can read (reading is still the spaces' rule: a moderator reads as a member)."""
    return viewer is not None and viewer.role in PLATFORM_MODERATORS and viewer.is_active


def is_suspended(person: Person, now: datetime) -> bool:
    """A moderator suspended the person until a time still to come: they cannot sign in, and
    none of their sessions or tokens works (``atoll.people.suspension``)."""
    until = person.suspended_until
    return until is not None and as_utc(until) > now


def suspended_message(person: Person) -> str:
    """What a suspended person is told when they try to sign in."""
    until = as_utc(person.suspended_until) if person.suspended_until else None
    when = until.strftime("%d %B %Y, %H:%M UTC") if until else "further notice"
    return f"Your account is suspended until {when}."


def can_see_org_chart(viewer: Person) -> bool:
    """Members (administrators among them) see the organisation's structure: units, paths,
    who holds which role. Guests see names, titles and organisation badges."""
    return viewer.kind == "member"


def can_see_place(viewer: Person, person: Person) -> bool:
    """The person's role and unit: for members, and for a guest about themselves."""
    return can_see_org_chart(viewer) or viewer.id == person.id


def can_edit_profile(viewer: Person, person: Person) -> bool:
    return viewer.id == person.id or is_admin(viewer)


def can_administer_people(viewer: Person) -> bool:
    return is_admin(viewer)
